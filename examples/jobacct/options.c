// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jobacct.h"
#include "parse-size.h"

void
options_usage(FILE *out)
{
	fputs("Usage: jobacct [OPTION...] [--] COMMAND [ARG...]\n"
	      "Run a command, follow every process it starts (daemons too), wait\n"
	      "until all have ended, and account for them.\n"
	      "\n"
	      "Output:\n"
	      "  -j, --json[=FILE]      one JSON object per process as it ends and a\n"
	      "                         summary, to standard output or FILE\n"
	      "  -o, --output FILE      BSD process accounting records (acct v3), for\n"
	      "                         dump-acct, lastcomm -f and sa\n"
	      "  -a, --append           add to the --output FILE instead of replacing it\n"
	      "  -t, --tree             draw the process tree at the end (standard error)\n"
	      "  -q, --quiet            no summary on standard error\n"
	      "Other:\n"
	      "  -b, --buffer SIZE      receive buffer for events, e.g. 8M\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "Exit status: the command's (128+N when a signal N killed it); 2 usage\n"
	      "error, 125 jobacct failed, 126 COMMAND cannot run, 127 not found.\n",
	      out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobacct: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jobacct --help'.\n", stderr);
	return 2;
}

int
options_parse(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "json", optional_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, 'a' },
		{ "tree", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	*cfg = (struct config){ 0 };
	opterr = 0;
	optind = 0;
	/* "+": the first word that is not an option is the command; its
	 * own options are its own. */
	while ((c = getopt_long(argc, argv, "+:jo:atqb:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			cfg->json = true;
			if (optarg && *optarg == '\0')
				return usage_error("--json= needs a file name");
			cfg->json_path = optarg;
			break;
		case 'o':
			if (*optarg == '\0')
				return usage_error("--output needs a file name");
			cfg->acct_path = optarg;
			break;
		case 'a':
			cfg->append = true;
			break;
		case 't':
			cfg->tree = true;
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'b':
			if (parse_size(optarg, &cfg->buffer) < 0)
				return usage_error("--buffer takes a size such as "
						   "8M, at most 1023M, not '%s'",
						   optarg);
			break;
		case 'h':
			options_usage(stdout);
			return 0;
		case 'V':
			printf("jobacct %s\n", RELAYFORK_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	if (cfg->append && !cfg->acct_path)
		return usage_error("--append goes with --output");
	cfg->command = &argv[optind];
	return -1;
}
