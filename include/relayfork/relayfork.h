/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librelayfork - process events from the Linux proc connector.
 *
 * This is the only installed header of librelayfork and its API reference.
 *
 * Concepts
 * ========
 *
 * The kernel's proc connector (netlink, CN_IDX_PROC) multicasts one
 * message for every fork, exec, exit, id change, session change, ptrace
 * attach, comm change and core dump in the system.  A
 * struct relayfork_monitor owns one subscription to it: a netlink socket,
 * a receive batch and the bookkeeping that turns the kernel's datagrams
 * into struct relayfork_event values.
 *
 * Three ways to consume events share one drain-and-decode core:
 *
 *  - the fd API: relayfork_monitor_get_fd() gives a descriptor to add to
 *    poll(2), epoll(7) or an event loop; each time it is readable
 *    (POLLIN), call relayfork_monitor_receive() until it returns 0;
 *  - the callback API: relayfork_monitor_dispatch() does that loop and
 *    calls a handler for every event;
 *  - the blocking loop: relayfork_monitor_run() waits and dispatches
 *    until the handler says stop (relayfork_monitor_wait() waits alone).
 *
 * Every event the kernel makes after relayfork_monitor_start() returns is
 * delivered, or counted in a RELAYFORK_EVENT_LOST event.
 *
 * Waking up costs far more than handling an event.  After a drain that
 * found events, an event loop should leave the descriptor alone for
 * relayfork_monitor_get_poll_delay() (a timer, then drain again): the
 * kernel queues events meanwhile and one wake-up handles a batch.  wait
 * and run do so themselves.
 *
 * Event lifetime
 * ==============
 *
 * Events are plain fixed-size structures that the library fills in
 * storage the caller provides (like struct signalfd_siginfo).  They hold
 * no pointers and never need to be freed; copy them freely, keep them as
 * long as you like, hand them to other threads.  An event passed to a
 * handler is valid only during the call: copy it to keep it.
 *
 * PIDs are numbers in the initial PID namespace.  A PID in an event may
 * already belong to another process by the time you look at it (the
 * kernel reports exits after the parent may have reaped the task, and PIDs
 * are recycled quickly); never act on a PID from an event without
 * checking, e.g. with pidfd_open(2).
 *
 * Loss
 * ====
 *
 * When the socket's receive buffer overflows, the kernel drops events.
 * librelayfork reports this in stream order as a RELAYFORK_EVENT_LOST
 * event carrying the number of events dropped; it is never a fatal error
 * and never silent, and the descriptor reports no error for it (no
 * POLLERR).  Loss events are delivered whatever the event mask.  After a
 * loss, a table of processes is made true again from a snapshot
 * (relayfork_snapshot_new()).
 *
 * Process ends
 * ============
 *
 * A process ends with its last task, not always its main thread (main()
 * may call pthread_exit() and the process live on).  The exit that ends
 * a process carries RELAYFORK_EVENT_F_PROCESS_END and the process's wait
 * status; every monitor that delivers exits sets it, whatever its mask
 * (it follows thread groups for that, see RELAYFORK_COUNTER_FOLLOWED).
 *
 * Threads
 * =======
 *
 * A monitor is not thread-safe: only one thread may use a given monitor
 * during its whole lifetime (create, use, free).  Different monitors may
 * be used by different threads in parallel.
 *
 * A monitor belongs to the process that created it.  A child that
 * inherits it through fork() shares its socket: whatever the child told
 * the kernel would change the parent's subscription, so there every call
 * that would (start, stop, set_events, the receive buffer's size and
 * growth) fails with -ECHILD and changes nothing; unref frees the
 * child's copy only.  A child that reads the socket takes events from the
 * parent: close the inherited monitor (unref) in children.  The library keeps no global
 * state, starts no threads and installs no signal handlers.  Unless a
 * function says otherwise it is not async-signal-safe.
 *
 * Errors
 * ======
 *
 * Functions returning int return a negative errno value on failure.
 * relayfork_strerror() turns the failures a user can meet when
 * subscribing into a sentence that says what to do.  The library never
 * prints; it reports details through a per-monitor log function.
 */
#ifndef RELAYFORK_RELAYFORK_H
#define RELAYFORK_RELAYFORK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define RELAYFORK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RELAYFORK_PRINTF(fmt, args)
#endif

/**
 * enum relayfork_event_type - what an event reports.
 *
 * These are librelayfork's own values, not the kernel's bits; they never
 * change and new types get new numbers.
 */
enum relayfork_event_type {
	RELAYFORK_EVENT_NONE = 0,
	/** A task was created: fork(2), vfork(2), clone(2), a thread. */
	RELAYFORK_EVENT_FORK = 1,
	/** A process called execve(2) successfully. */
	RELAYFORK_EVENT_EXEC = 2,
	/** A task exited (every thread reports its own exit). */
	RELAYFORK_EVENT_EXIT = 3,
	/** The real, effective, saved or fs user id changed. */
	RELAYFORK_EVENT_UID = 4,
	/** The real, effective, saved or fs group id changed. */
	RELAYFORK_EVENT_GID = 5,
	/** A process called setsid(2). */
	RELAYFORK_EVENT_SID = 6,
	/** A tracer attached (PTRACE_ATTACH/SEIZE) or detached. */
	RELAYFORK_EVENT_PTRACE = 7,
	/** A task changed its name (prctl PR_SET_NAME, /proc/PID/comm). */
	RELAYFORK_EVENT_COMM = 8,
	/** A task is dying of a core-dumping signal. */
	RELAYFORK_EVENT_COREDUMP = 9,
	/** Events were lost; see struct relayfork_event.u.lost. */
	RELAYFORK_EVENT_LOST = 100
};

/**
 * enum relayfork_event_mask - sets of event types, for
 * relayfork_monitor_set_events().
 *
 * RELAYFORK_EVENTS_EXIT_FAILURE selects only exits with a non-zero wait
 * status (a non-zero exit code or death by a signal); together with
 * RELAYFORK_EVENTS_EXIT it changes nothing (all exits are wanted).
 *
 * RELAYFORK_EVENTS_SKIP_THREADS drops the forks of threads
 * (RELAYFORK_EVENT_F_THREAD) and every exit that ends no process: of a
 * process's exits only the one with RELAYFORK_EVENT_F_PROCESS_END is
 * delivered, whichever thread it is.  A monitor that delivers no exits
 * drops threads' forks in a socket filter, before they wake it up; one
 * that delivers exits still takes the threads' forks and exits from the
 * kernel, to count each process's threads.
 */
enum relayfork_event_mask {
	RELAYFORK_EVENTS_FORK = 1 << RELAYFORK_EVENT_FORK,
	RELAYFORK_EVENTS_EXEC = 1 << RELAYFORK_EVENT_EXEC,
	RELAYFORK_EVENTS_EXIT = 1 << RELAYFORK_EVENT_EXIT,
	RELAYFORK_EVENTS_UID = 1 << RELAYFORK_EVENT_UID,
	RELAYFORK_EVENTS_GID = 1 << RELAYFORK_EVENT_GID,
	RELAYFORK_EVENTS_SID = 1 << RELAYFORK_EVENT_SID,
	RELAYFORK_EVENTS_PTRACE = 1 << RELAYFORK_EVENT_PTRACE,
	RELAYFORK_EVENTS_COMM = 1 << RELAYFORK_EVENT_COMM,
	RELAYFORK_EVENTS_COREDUMP = 1 << RELAYFORK_EVENT_COREDUMP,
	RELAYFORK_EVENTS_EXIT_FAILURE = 1 << 16,
	RELAYFORK_EVENTS_SKIP_THREADS = 1 << 17,
	RELAYFORK_EVENTS_ALL = 0x3fe
};

/** Flags in struct relayfork_event.flags. */
enum relayfork_event_flags {
	/**
	 * The event is about a thread that is not its process's main
	 * thread (pid != tgid).  Set on forks that create threads and on
	 * their exits.
	 */
	RELAYFORK_EVENT_F_THREAD = 1 << 0,
	/**
	 * The event was made by the library, not sent by the kernel
	 * (for example a snapshot of a process that already existed).
	 */
	RELAYFORK_EVENT_F_SYNTHETIC = 1 << 1,
	/**
	 * On an exit: the task was the last of its process, which has
	 * ended; u.exit.status is the process's wait status.  Usually the
	 * main thread's exit (pid == tgid); when the main thread left
	 * first (pthread_exit() in main()), the last thread's, which also
	 * has RELAYFORK_EVENT_F_THREAD.  The kernel sends a task's exit
	 * event after it has woken pthread_join(), so a joined thread's
	 * exit can also come after the main thread's exit() and be the
	 * end; its own status (0) is then replaced by the process's.  A
	 * main thread's exit without this flag means the process lives
	 * on.  Set by every monitor that delivers exits.
	 */
	RELAYFORK_EVENT_F_PROCESS_END = 1 << 2
};

/** Why events were lost, in struct relayfork_event.u.lost.reason. */
enum relayfork_lost_reason {
	/**
	 * The socket's receive buffer overflowed; the count is exact
	 * (from the socket's drop counter).
	 */
	RELAYFORK_LOST_OVERFLOW = 1,
	/**
	 * The kernel's per-CPU sequence numbers skipped: the kernel failed
	 * to send these events at all.  Only detected when the monitor
	 * receives every event type.
	 */
	RELAYFORK_LOST_SEQUENCE = 2,
	/**
	 * The kernel reported an overflow but the number of events lost
	 * could not be read (kernels before 4.12); count is 0.
	 */
	RELAYFORK_LOST_UNKNOWN = 3
};

/**
 * struct relayfork_event - one process event.
 *
 * A fixed-size value (128 bytes) the library fills in.  @pid and @tgid
 * always name the task the event is about: the new task for a fork, the
 * exiting task for an exit.  Fields of the union other than the one that
 * belongs to @type are zero.  The reserved bytes are zero and may carry
 * new fields in later versions.
 */
struct relayfork_event {
	/** enum relayfork_event_type */
	uint32_t type;
	/** enum relayfork_event_flags */
	uint32_t flags;
	/** CPU that generated the event. */
	uint32_t cpu;
	/** The kernel's per-CPU sequence number of the event. */
	uint32_t seq;
	/** When the kernel generated the event, CLOCK_MONOTONIC ns. */
	uint64_t timestamp_ns;
	/** Thread the event is about (its TID). */
	pid_t pid;
	/** Process the thread belongs to (its thread-group id). */
	pid_t tgid;
	union {
		/**
		 * RELAYFORK_EVENT_FORK.  The parent is the kernel's
		 * real_parent: for a new thread (and CLONE_PARENT) that is
		 * the parent of the process that called clone(), not the
		 * caller itself.
		 */
		struct {
			pid_t parent_pid;
			pid_t parent_tgid;
		} fork;
		/** RELAYFORK_EVENT_UID: the new real and effective uid. */
		struct {
			uint32_t ruid;
			uint32_t euid;
		} uid;
		/** RELAYFORK_EVENT_GID: the new real and effective gid. */
		struct {
			uint32_t rgid;
			uint32_t egid;
		} gid;
		/** RELAYFORK_EVENT_PTRACE: the tracer, 0 on detach. */
		struct {
			pid_t tracer_pid;
			pid_t tracer_tgid;
		} ptrace;
		/** RELAYFORK_EVENT_COMM: the new name, NUL-terminated. */
		struct {
			char comm[16];
		} comm;
		/**
		 * RELAYFORK_EVENT_COREDUMP: the parent, 0 when the kernel
		 * did not report it (before Linux 4.18).
		 */
		struct {
			pid_t parent_pid;
			pid_t parent_tgid;
		} coredump;
		/** RELAYFORK_EVENT_EXIT. */
		struct {
			/** Raw wait(2) status: use WIFEXITED() etc. on it. */
			int32_t status;
			/**
			 * Signal sent to the parent on exit: SIGCHLD for
			 * ordinary processes, -1 for threads.
			 */
			int32_t exit_signal;
			/**
			 * The parent; 0 for tasks nobody waits for
			 * (threads), before Linux 4.18, and when the
			 * parent reaped the task before the kernel
			 * sent the event (it is sent late in exit).
			 */
			pid_t parent_pid;
			pid_t parent_tgid;
			/** 1 if the task called exit(); @code is valid. */
			int32_t exited;
			/** Exit code (0-255) if @exited. */
			int32_t code;
			/** Signal that killed the task, 0 if @exited. */
			int32_t signal;
			/** 1 if killed by a signal and a core dump followed. */
			int32_t core_dumped;
		} exit;
		/** RELAYFORK_EVENT_LOST. */
		struct {
			/** Number of events lost (0 = unknown). */
			uint64_t count;
			/** enum relayfork_lost_reason */
			uint32_t reason;
		} lost;
		unsigned char reserved[96];
	} u;
};

/** Flags for relayfork_monitor_new(). */
enum relayfork_monitor_flags {
	/**
	 * Never use the kernel's event filter (Linux 6.6+); filter with a
	 * socket filter and in the library instead, exactly as on older
	 * kernels.  Mostly useful to test that path.
	 */
	RELAYFORK_MONITOR_NO_KERNEL_FILTER = 1 << 0
};

/** How the event mask is applied, from relayfork_monitor_get_filter_mode(). */
enum relayfork_filter_mode {
	/** Not started yet. */
	RELAYFORK_FILTER_UNKNOWN = 0,
	/** The kernel filters per socket (Linux 6.6 and later). */
	RELAYFORK_FILTER_KERNEL = 1,
	/**
	 * A classic BPF socket filter drops unwanted events before they
	 * are queued, and the library checks again (older kernels).
	 */
	RELAYFORK_FILTER_SOCKET = 2
};

/** Counters, for relayfork_monitor_get_counter(). */
enum relayfork_counter {
	/** Datagrams received from the kernel. */
	RELAYFORK_COUNTER_RECEIVED = 0,
	/** Events returned by receive or passed to a handler (LOST too). */
	RELAYFORK_COUNTER_DELIVERED = 1,
	/** Events lost, the sum of all RELAYFORK_EVENT_LOST counts. */
	RELAYFORK_COUNTER_LOST = 2,
	/** Messages from the kernel that could not be decoded. */
	RELAYFORK_COUNTER_MALFORMED = 3,
	/** Datagrams not sent by the kernel (forged), dropped. */
	RELAYFORK_COUNTER_FOREIGN = 4,
	/** Events that did not match the event mask, dropped. */
	RELAYFORK_COUNTER_FILTERED = 5,
	/** Control messages (subscription acknowledgements), skipped. */
	RELAYFORK_COUNTER_CONTROL = 6,
	/**
	 * Forks and exits of threads received only to tell when processes
	 * end (see RELAYFORK_EVENT_F_PROCESS_END), not delivered.
	 */
	RELAYFORK_COUNTER_FOLLOWED = 7
};

/** Log priorities (the syslog(3) values). */
enum relayfork_log_priority {
	RELAYFORK_LOG_ERR = 3,
	RELAYFORK_LOG_INFO = 6,
	RELAYFORK_LOG_DEBUG = 7
};

struct relayfork_monitor;

/**
 * relayfork_log_fn_t - receives the library's log messages.
 * @priority: enum relayfork_log_priority
 * @format, @args: the message, without a trailing newline.
 */
typedef void (*relayfork_log_fn_t)(struct relayfork_monitor *monitor,
				   int priority, const char *format,
				   va_list args, void *userdata)
	RELAYFORK_PRINTF(3, 0);

/**
 * relayfork_handler_t - called by relayfork_monitor_dispatch() per event.
 *
 * @event is valid only during the call.  Return 0 to go on; any other
 * value stops the dispatch, which returns it.
 */
typedef int (*relayfork_handler_t)(struct relayfork_monitor *monitor,
				   const struct relayfork_event *event,
				   void *userdata);

/**
 * relayfork_monitor_new() - create a monitor.
 * @flags: 0 or RELAYFORK_MONITOR_NO_KERNEL_FILTER.
 * @ret_monitor: receives the monitor, with one reference.
 *
 * Opens the netlink socket (close-on-exec, non-blocking) but does not
 * subscribe: call relayfork_monitor_start() for that.  The event mask
 * starts as RELAYFORK_EVENTS_ALL.  The receive buffer is asked for as
 * 8 MiB, which the kernel grants as 16 MiB (it counts its overhead):
 * about 20,000 queued events, enough for the fastest fork storms.
 * Without CAP_NET_ADMIN the kernel caps the request at
 * net.core.rmem_max (Debian's 4 MiB: 8 MiB granted, about 10,000
 * events).  relayfork_monitor_get_receive_buffer_size() tells.
 *
 * Return: 0, or -EINVAL (unknown flag, NULL @ret_monitor), -ENOMEM,
 * -EPROTONOSUPPORT (kernel without CONFIG_CONNECTOR), -EMFILE, -ENFILE.
 */
int relayfork_monitor_new(unsigned int flags,
			  struct relayfork_monitor **ret_monitor);

/** relayfork_monitor_ref() - take a reference; returns @monitor. */
struct relayfork_monitor *
relayfork_monitor_ref(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_unref() - drop a reference.
 *
 * The last reference unsubscribes (if started), closes the socket and
 * frees the monitor.  Accepts NULL.  Always returns NULL, so that
 * `m = relayfork_monitor_unref(m);` is the idiom.  May be called from a
 * handler; the monitor is freed when dispatch returns.
 */
struct relayfork_monitor *
relayfork_monitor_unref(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_set_events() - choose the event types to receive.
 * @mask: a non-empty OR of enum relayfork_event_mask values.
 *
 * May be called before or after relayfork_monitor_start().  On a running
 * monitor it takes effect at once: the kernel (or the socket filter)
 * applies the new mask to events generated from then on, and every event
 * returned from then on, also those already received, is checked
 * against it.  If updating a running subscription fails, the old mask
 * stays in force, in the kernel and in the socket filter.
 *
 * Return: 0, or -EINVAL (empty mask, unknown bit), or the errors of the
 * system calls that update a running subscription.
 */
int relayfork_monitor_set_events(struct relayfork_monitor *monitor,
				 uint32_t mask);

/** relayfork_monitor_get_events() - the current event mask. */
uint32_t relayfork_monitor_get_events(struct relayfork_monitor *monitor);

/**
 * RELAYFORK_QUEUED_EVENT_BYTES - what one queued event takes of the
 * receive buffer as the kernel counts it (the sizes granted and reported
 * here): a 76-byte datagram and its socket buffer, measured on x86_64
 * with Linux 6.1 and 6.18.  Granted size / this = events the buffer
 * holds.
 */
#define RELAYFORK_QUEUED_EVENT_BYTES 832

/**
 * relayfork_monitor_set_receive_buffer_size() - size the socket's buffer.
 * @bytes: the wanted size.
 *
 * Uses SO_RCVBUFFORCE when the caller has CAP_NET_ADMIN, SO_RCVBUF
 * (capped by net.core.rmem_max) otherwise.
 *
 * Return: the size the kernel granted, counted the kernel's way: twice
 * what was asked (or twice rmem_max), holding granted /
 * RELAYFORK_QUEUED_EVENT_BYTES events; or -EINVAL, or the error of
 * setsockopt(2).
 */
int relayfork_monitor_set_receive_buffer_size(struct relayfork_monitor *monitor,
					      size_t bytes);

/**
 * relayfork_monitor_get_receive_buffer_size() - the size the kernel
 * granted, counted as relayfork_monitor_set_receive_buffer_size()
 * returns it.
 *
 * Return: bytes, or a negative errno.
 */
int relayfork_monitor_get_receive_buffer_size(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_start() - subscribe to the proc connector.
 *
 * Binds the socket to the proc connector's multicast group, finds out
 * whether the kernel can filter events (a probe that takes up to 100 ms
 * on kernels that cannot), installs the filter and sends
 * PROC_CN_MCAST_LISTEN.  Calling it on a started monitor does nothing.
 *
 * Where /proc cannot show the namespaces (it is hidden), the kernel's
 * answer to a probe tells: it answers only the initial ones.  A monitor
 * that delivers exits also reads the threads of running processes from
 * /proc.  From its return on, every event the kernel makes is delivered
 * or counted as lost.
 *
 * Return: 0, or
 *  -EOPNOTSUPP: the process is not in the initial user and PID
 *   namespaces, where the kernel would silently ignore the subscription;
 *  -EPROTONOSUPPORT: the kernel has no proc connector
 *   (CONFIG_PROC_EVENTS);
 *  -ECONNREFUSED: the process is not in the initial network namespace;
 *  -EACCES: the kernel is older than 6.6 and the caller lacks
 *   CAP_NET_ADMIN;
 *  or another negative errno from the system calls involved.
 *  relayfork_strerror() explains the first four.
 */
int relayfork_monitor_start(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_stop() - unsubscribe.
 *
 * Sends PROC_CN_MCAST_IGNORE, exactly once per start: on kernels before
 * 6.6 the kernel keeps one count for all listeners, so an unbalanced
 * IGNORE would silence every other listener, and on all kernels a
 * missing one keeps the kernel generating events for nobody.  No more
 * events arrive afterwards (on kernels before 6.6 the socket also leaves
 * the multicast group); events already queued stay readable.  Calling it
 * on a stopped monitor does nothing.
 *
 * In a child process that inherited the monitor through fork(), stop
 * fails with -ECHILD and the last unref does not unsubscribe: the
 * subscription is the parent's.
 *
 * Return: 0 or a negative errno.  If the request cannot be sent, the
 * monitor stays started so that a later stop or unref tries again.
 */
int relayfork_monitor_stop(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_get_fd() - the descriptor to poll.
 *
 * The monitor owns the descriptor: never close it, read it or change its
 * flags.  It is valid from relayfork_monitor_new() until the monitor is
 * freed, is close-on-exec and non-blocking.  Wait for POLLIN.  An
 * overflow raises no error on it (the loss comes as an event; event
 * loops such as libuv take POLLERR for a dead descriptor); only kernels
 * before 2.6.30 report POLLERR then, which also means "receive now".  It
 * fails only for a NULL monitor (-EINVAL).
 */
int relayfork_monitor_get_fd(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_receive() - take the next event without blocking.
 * @event: storage the library fills in.
 *
 * Events come from an internal batch that one recvmmsg(2) call fills;
 * only when the batch is used up does the library read the socket again.
 * Call it until it returns 0 each time the descriptor becomes readable:
 * events already in the batch do not make the descriptor readable again.
 *
 * Return: 1 when @event was filled; 0 when no event is waiting; or a
 * negative errno (-EINVAL for NULL arguments, -EBUSY when called from a
 * handler during dispatch, or a socket error).
 */
int relayfork_monitor_receive(struct relayfork_monitor *monitor,
			      struct relayfork_event *event);

/**
 * relayfork_monitor_dispatch() - call @handler for every waiting event.
 *
 * Receives until no event is waiting, calling @handler for each.  If the
 * handler returns non-zero, dispatch stops at once and returns that value;
 * the events not yet handled stay queued and the next receive or dispatch
 * returns them first (call it again before waiting on the descriptor).
 *
 * A handler may call relayfork_monitor_stop(), set_events() and unref()
 * (after unref of the last reference dispatch stops and returns 0), but
 * not receive() or dispatch() on the same monitor: those return -EBUSY.
 *
 * Return: 0 when all waiting events were handled, the handler's non-zero
 * value, or a negative errno.
 */
int relayfork_monitor_dispatch(struct relayfork_monitor *monitor,
			       relayfork_handler_t handler, void *userdata);

/**
 * relayfork_monitor_wait() - block until events are waiting.
 * @timeout_ms: -1 to wait as long as it takes, 0 not to wait.
 *
 * Returns at once if events are queued in the library.  Otherwise, if
 * the last drain found events, it first sleeps the coalescing delay
 * (relayfork_monitor_get_poll_delay(), within @timeout_ms) so that the
 * kernel queues a batch meanwhile, then polls the descriptor.
 *
 * Return: 1 when events are waiting, 0 on timeout, -EINTR when a signal
 * interrupted the wait, or another negative errno.
 */
int relayfork_monitor_wait(struct relayfork_monitor *monitor, int timeout_ms);

/**
 * relayfork_monitor_get_poll_delay() - how long an event loop should
 * leave the descriptor alone before watching it again.
 *
 * Call it after a drain (receive() returned 0, dispatch() returned 0).
 * A drain that found events (received from the kernel, delivered or
 * taken only to follow threads) means more are coming: waiting this long
 * lets the kernel queue a batch, which one wake-up then handles.  A
 * drain that found nothing, or events still queued in the library,
 * give 0: watch (or receive) at once.  This is the coalescing that
 * relayfork_monitor_wait() and relayfork_monitor_run() apply;
 * librelayfork(3) shows it in epoll, sd-event, GLib and libuv loops.
 *
 * Return: microseconds, at most the coalescing delay; 0 for a NULL
 * monitor.
 */
unsigned int relayfork_monitor_get_poll_delay(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_run() - the blocking loop: wait, dispatch, repeat.
 *
 * Handles events with @handler until it returns non-zero (which run
 * returns) or an error occurs.  Wake-ups are coalesced (see
 * relayfork_monitor_set_coalesce_delay()), which is what makes this the
 * cheapest way to consume events.
 *
 * Return: the handler's non-zero value, -EINTR when a signal interrupted
 * the wait (check your flags and call again), or another negative errno.
 */
int relayfork_monitor_run(struct relayfork_monitor *monitor,
			  relayfork_handler_t handler, void *userdata);

/**
 * relayfork_monitor_set_coalesce_delay() - trade latency for cost.
 * @usec: 0 to 1000000; the default is 1000.
 *
 * Waking up costs far more than handling an event.  After a wait that
 * found events, relayfork_monitor_wait() sleeps this long before it
 * polls again, so that under load the kernel queues events meanwhile and
 * one wake-up handles many: at most @usec of added latency, a fraction
 * of the CPU time.  An idle monitor still wakes at once for the first
 * event.  Programs with their own event loop get the same effect from
 * relayfork_monitor_get_poll_delay().
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_monitor_set_coalesce_delay(struct relayfork_monitor *monitor,
					 unsigned int usec);

/**
 * relayfork_monitor_set_receive_buffer_growth() - grow after a loss.
 * @max_bytes: the largest size to grow to; 0 (the default) never grows.
 *
 * After each overflow the receive buffer doubles, up to @max_bytes, so
 * that a burst lost once is not lost again.  Without CAP_NET_ADMIN the
 * kernel's net.core.rmem_max still caps it.
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_monitor_set_receive_buffer_growth(struct relayfork_monitor *monitor,
						size_t max_bytes);

/**
 * relayfork_monitor_get_filter_mode() - how the event mask is applied.
 *
 * Return: an enum relayfork_filter_mode value; RELAYFORK_FILTER_UNKNOWN
 * before the first start.
 */
int relayfork_monitor_get_filter_mode(struct relayfork_monitor *monitor);

/**
 * relayfork_monitor_get_counter() - read a cumulative counter.
 * @counter: an enum relayfork_counter value.
 *
 * Return: the counter, 0 for an unknown counter.
 */
uint64_t relayfork_monitor_get_counter(struct relayfork_monitor *monitor,
				       int counter);

/**
 * relayfork_monitor_set_log_fn() - receive the library's log messages.
 *
 * By default the library logs nothing.  @fn may be NULL to stop logging.
 */
void relayfork_monitor_set_log_fn(struct relayfork_monitor *monitor,
				  relayfork_log_fn_t fn, void *userdata);

/**
 * relayfork_monitor_set_log_priority() - the least urgent priority
 * passed to the log function (default RELAYFORK_LOG_INFO).
 */
void relayfork_monitor_set_log_priority(struct relayfork_monitor *monitor,
					int priority);

/**
 * relayfork_event_match() - does an event mask select this event?
 * @mask: an OR of enum relayfork_event_mask values.
 *
 * What a monitor with this mask would deliver, for programs that keep a
 * wider subscription than they show (or filter events from elsewhere).
 * RELAYFORK_EVENT_LOST always matches.  Pure, thread-safe.
 *
 * Return: 1 or 0 (0 for a NULL @event).
 */
int relayfork_event_match(const struct relayfork_event *event, uint32_t mask);

/**
 * relayfork_event_type_name() - a lower-case name for an event type
 * ("fork", "exit", "lost", ...), or NULL for an unknown value.
 * Async-signal-safe and thread-safe.
 */
const char *relayfork_event_type_name(int type);

/**
 * relayfork_strerror() - explain an error from this library.
 * @error: a negative (or positive) errno value.
 *
 * For failures that have a known cause when using the proc connector
 * (see relayfork_monitor_start()) the text says what is wrong and what to
 * do; for others it is strerror(3)'s text, in English, and "Unknown
 * error" for codes that are not errno values.  The string is static and
 * stays valid; thread-safe.
 */
const char *relayfork_strerror(int error);

/*
 * Snapshots
 * =========
 *
 * After a RELAYFORK_EVENT_LOST a consumer that keeps a table of
 * processes no longer knows which ones were created or exited meanwhile.
 * A snapshot lists the processes (and optionally threads) that exist,
 * read from /proc, as synthetic fork events.  To resynchronise:
 *
 *  1. take a snapshot when the LOST event arrives;
 *  2. reconcile the table with it: a process in the table that the
 *     snapshot does not list (with the same start time) has ended; one
 *     the snapshot lists that the table lacks was created;
 *  3. go on receiving, and skip every event that
 *     relayfork_snapshot_covers(): the events still queued behind the
 *     LOST were made before the snapshot was taken, and what they did
 *     is in it already (applying an old exit would end a process the
 *     snapshot just listed, if its pid was reused); apply the others.
 *     A process that starts or ends while the snapshot is read may be
 *     both listed and reported: applying a fork of a process already
 *     in the table, or an exit of one that is not, must change nothing.
 *
 * Start times in /proc have clock-tick resolution (10 ms at the usual
 * 100 Hz): a process's start time in a snapshot is up to a tick earlier
 * than its fork event's timestamp.
 */

struct relayfork_snapshot;

/** Flags for relayfork_snapshot_new(). */
enum relayfork_snapshot_flags {
	/** List threads too, not only processes. */
	RELAYFORK_SNAPSHOT_THREADS = 1 << 0
};

/**
 * relayfork_snapshot_new() - start listing the tasks that exist now.
 * @flags: 0 or RELAYFORK_SNAPSHOT_THREADS.
 *
 * The snapshot's time (relayfork_snapshot_get_time()) is taken first;
 * each process is read when relayfork_snapshot_next() reaches it.
 *
 * Return: 0, -EINVAL, -ENOMEM, or the error of opening /proc.
 */
int relayfork_snapshot_new(unsigned int flags,
			   struct relayfork_snapshot **ret_snapshot);

/**
 * relayfork_snapshot_next() - the next task, as a synthetic fork event.
 *
 * @event is a RELAYFORK_EVENT_FORK with RELAYFORK_EVENT_F_SYNTHETIC set
 * (and RELAYFORK_EVENT_F_THREAD for threads): @pid and @tgid name the
 * task, u.fork.parent_pid and parent_tgid its parent process as /proc
 * says, @timestamp_ns its start time (CLOCK_MONOTONIC; tasks started
 * during a suspend may show a time before it), @cpu and @seq 0.  Tasks
 * that exit while the list is read are skipped, and so are processes
 * that have exited but not been reaped yet (zombies), unless their main
 * thread only left early and other threads live on.
 *
 * Return: 1 when @event was filled, 0 at the end, or a negative errno.
 */
int relayfork_snapshot_next(struct relayfork_snapshot *snapshot,
			    struct relayfork_event *event);

/**
 * relayfork_snapshot_get_time() - when the snapshot was taken.
 *
 * Return: CLOCK_MONOTONIC nanoseconds, the clock of event timestamps,
 * read before anything was listed; 0 for a NULL snapshot.
 */
uint64_t relayfork_snapshot_get_time(const struct relayfork_snapshot *snapshot);

/**
 * relayfork_snapshot_covers() - is an event older than the snapshot?
 *
 * An event stamped before the snapshot was taken: what it reports is
 * reflected in the snapshot already; skip it while reconciling.
 *
 * Return: 1 (older: skip), 0 (newer: apply) or -EINVAL.
 */
int relayfork_snapshot_covers(const struct relayfork_snapshot *snapshot,
			      const struct relayfork_event *event);

/** relayfork_snapshot_free() - free a snapshot; accepts NULL, returns NULL. */
struct relayfork_snapshot *
relayfork_snapshot_free(struct relayfork_snapshot *snapshot);

/*
 * Job tracking
 * ============
 *
 * A struct relayfork_tracker follows a group of processes, a job: the
 * processes it is given (relayfork_tracker_spawn(), relayfork_tracker_add())
 * and every process forked by a member, decided at fork time, so that
 * double forks, setsid() and process groups change nothing.  It is a
 * consumer of a monitor's events, like the forwarder: it owns no socket;
 * hand it every event (relayfork_tracker_handle()), and take what it
 * says from relayfork_tracker_next(): members that joined, members that
 * ended (with their final record), the job being empty, a resync.
 *
 * The monitor must deliver forks and exits (RELAYFORK_EVENTS_FORK |
 * RELAYFORK_EVENTS_EXIT; EXEC, COMM and UID keep names and users up to
 * date).  A member ends with its process (RELAYFORK_EVENT_F_PROCESS_END),
 * not with its main thread.  Pids are recycled: every member has an id
 * unique within the tracker, and a process that reuses a dead member's
 * pid is never taken for it.  After a RELAYFORK_EVENT_LOST the tracker
 * reads /proc at once (relayfork_snapshot_new()): members that are gone
 * end with RELAYFORK_MEMBER_F_STATUS_UNKNOWN, children of members found
 * there join with RELAYFORK_MEMBER_F_FOUND, and a RELAYFORK_TRACKER_RESYNC
 * event says how many.
 *
 * What can escape: a process that a member's fork created while events
 * were lost and that was reparented away (a double fork) before /proc
 * was read, unless the tracker is the job's subreaper
 * (RELAYFORK_TRACKER_SUBREAPER: such orphans become its children, and
 * those that started after the job did join); a process created with
 * CLONE_PARENT by a member (the kernel names the member's parent); and,
 * for relayfork_tracker_add(), children of the added process that had
 * already left it when /proc was read.
 */

struct relayfork_tracker;
struct relayfork_taskstats;

/** Flags for relayfork_tracker_new(). */
enum relayfork_tracker_flags {
	/**
	 * relayfork_tracker_spawn() makes the calling process a child
	 * subreaper (PR_SET_CHILD_SUBREAPER): orphans of the job are
	 * reparented to it instead of init, so that their exits can be
	 * waited for and their resource use reaches RUSAGE_CHILDREN.
	 */
	RELAYFORK_TRACKER_SUBREAPER = 1 << 0
};

/** Flags in struct relayfork_member.flags. */
enum relayfork_member_flags {
	/** Given to the tracker (spawned or added), not forked by a member. */
	RELAYFORK_MEMBER_F_ROOT = 1 << 0,
	/** Its parent ended before it (a double fork, a daemon). */
	RELAYFORK_MEMBER_F_REPARENTED = 1 << 1,
	/** Found in /proc (by a resync, or below an added process), its
	 * fork not seen. */
	RELAYFORK_MEMBER_F_FOUND = 1 << 2,
	/** It ended while events were lost: @status is not known. */
	RELAYFORK_MEMBER_F_STATUS_UNKNOWN = 1 << 3,
	/** @usage holds the kernel's figures (see the taskstats section). */
	RELAYFORK_MEMBER_F_USAGE = 1 << 4,
	/** The monitor skips threads: @threads is not known. */
	RELAYFORK_MEMBER_F_THREADS_UNKNOWN = 1 << 5
};

/** Resource use of a member, summed over its threads. */
struct relayfork_member_usage {
	uint64_t utime_us;	/**< user CPU time (tick-sampled) */
	uint64_t stime_us;	/**< system CPU time (tick-sampled) */
	uint64_t run_ns;	/**< time on a CPU, precise */
	uint64_t minflt;
	uint64_t majflt;
	uint64_t hiwater_rss_kb; /**< the largest of its threads' peaks */
	uint64_t read_chars;	/**< bytes passed to read(2) and the like */
	uint64_t write_chars;
	uint64_t read_bytes;	/**< bytes read from storage */
	uint64_t write_bytes;
	uint32_t records;	/**< thread records summed */
	uint32_t reserved;
};

/**
 * struct relayfork_member - one process of a job: a fixed-size value, no
 * pointers (like struct relayfork_event).
 */
struct relayfork_member {
	/** Unique within the tracker, from 1; never reused. */
	uint64_t id;
	/** The member that forked it; 0 for a root. */
	uint64_t parent_id;
	pid_t pid;
	/** Its parent process when it joined. */
	pid_t ppid;
	/** Real user id (at join, then as UID events say). */
	uint32_t uid;
	/** enum relayfork_member_flags */
	uint32_t flags;
	/** Start and end, CLOCK_MONOTONIC ns (end 0 while it lives). */
	uint64_t start_ns;
	uint64_t end_ns;
	/** Raw wait(2) status once ended (unless F_STATUS_UNKNOWN). */
	int32_t status;
	/** Threads it had, its main thread included. */
	uint32_t threads;
	/** Its name, NUL-terminated (after exec, the new program's; with
	 * taskstats, its name at exit). */
	char comm[16];
	struct relayfork_member_usage usage;
	unsigned char reserved[64];
};

/** Types of struct relayfork_tracker_event. */
enum relayfork_tracker_event_type {
	/** A process joined: @member is its record. */
	RELAYFORK_TRACKER_JOINED = 1,
	/** A member ended: @member is its final record. */
	RELAYFORK_TRACKER_ENDED = 2,
	/** The last member ended; see RELAYFORK_TRACKER_F_LOSSY. */
	RELAYFORK_TRACKER_EMPTY = 3,
	/** /proc was read after a loss: @joined and @ended say what it
	 * changed (their JOINED and ENDED events come before it). */
	RELAYFORK_TRACKER_RESYNC = 4
};

/** Flags in struct relayfork_tracker_event.flags. */
enum relayfork_tracker_event_flags {
	/**
	 * On RELAYFORK_TRACKER_EMPTY: events were lost while following
	 * the job, so a member may have escaped unseen; without it the
	 * job is over for good.
	 */
	RELAYFORK_TRACKER_F_LOSSY = 1 << 0
};

/** What relayfork_tracker_next() returns. */
struct relayfork_tracker_event {
	uint32_t type;		/**< enum relayfork_tracker_event_type */
	uint32_t flags;		/**< enum relayfork_tracker_event_flags */
	uint64_t joined;	/**< RESYNC: members found in /proc */
	uint64_t ended;		/**< RESYNC: members found gone */
	struct relayfork_member member; /**< JOINED, ENDED */
};

/** The job as a whole, from relayfork_tracker_get_totals(). */
struct relayfork_tracker_totals {
	uint64_t joined;	/**< members ever */
	uint64_t ended;
	uint64_t live;
	uint64_t failed;	/**< ended with a non-zero status */
	uint64_t lost;		/**< events lost while following */
	uint64_t resyncs;
	/** Summed over the members that ended. */
	struct relayfork_member_usage usage;
	/** 1 when every ended member has whole usage figures and no
	 * taskstats record was lost (relayfork_tracker_set_taskstats()). */
	uint32_t usage_complete;
	uint32_t reserved;
	/** taskstats records lost while following (whose, not known). */
	uint64_t usage_lost;
};

/**
 * relayfork_tracker_new() - a tracker with no members.
 * @flags: 0 or RELAYFORK_TRACKER_SUBREAPER.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int relayfork_tracker_new(unsigned int flags,
			  struct relayfork_tracker **ret_tracker);

/** relayfork_tracker_free() - free it; accepts NULL, returns NULL. */
struct relayfork_tracker *
relayfork_tracker_free(struct relayfork_tracker *tracker);

/**
 * relayfork_tracker_spawn() - run a command as the job's first member.
 * @monitor: the started monitor that feeds the tracker; it must deliver
 *   forks and exits, so that no fork of the job can go unseen.
 * @argv: the command (searched in PATH), NULL-terminated.
 * @ret_pid: the process's pid; @ret_pidfd: a pidfd for it (NULL if not
 *   wanted; -1 on kernels without pidfds).  The caller reaps it.
 *
 * The command is forked and executed only after these checks, and a
 * failure to execute it comes back here.
 *
 * Return: 0, -EINVAL (bad arguments), -EBADFD (the monitor is not
 * started, or its mask lacks forks or exits), -ENOMEM, or the error of
 * fork(2) or of executing the command (-ENOENT, -EACCES, ...).
 */
int relayfork_tracker_spawn(struct relayfork_tracker *tracker,
			    struct relayfork_monitor *monitor,
			    char *const argv[], pid_t *ret_pid, int *ret_pidfd);

/**
 * relayfork_tracker_add() - make a running process, and the descendants
 * /proc shows it has now, members.
 *
 * Best effort: children it forked that have left it (reparented)
 * before /proc is read are not found.  The monitor feeding the tracker
 * must be started before this is called.
 *
 * Return: 0, -EINVAL, -ESRCH (no such process), -EEXIST (already a
 * member), -ENOMEM, or the error of reading /proc.
 */
int relayfork_tracker_add(struct relayfork_tracker *tracker, pid_t pid);

/**
 * relayfork_tracker_handle() - follow one event from the monitor.
 *
 * Call it for every event the monitor delivers, RELAYFORK_EVENT_LOST
 * included (it reads /proc then).  What it learns is queued for
 * relayfork_tracker_next().
 *
 * Return: 0 or a negative errno (-EINVAL, -ENOMEM).
 */
int relayfork_tracker_handle(struct relayfork_tracker *tracker,
			     const struct relayfork_event *event);

/**
 * relayfork_tracker_next() - take what the tracker learned.
 *
 * Return: 1 when @event was filled, 0 when nothing is queued, -EINVAL.
 */
int relayfork_tracker_next(struct relayfork_tracker *tracker,
			   struct relayfork_tracker_event *event);

/**
 * relayfork_tracker_get_member() - the record of a live member.
 *
 * Return: 0, -ENOENT (no live member has this pid), -EINVAL.
 */
int relayfork_tracker_get_member(struct relayfork_tracker *tracker, pid_t pid,
				 struct relayfork_member *ret_member);

/**
 * relayfork_tracker_set_taskstats() - take members' resource usage from
 * the kernel's taskstats exit records.
 * @ts: a source from relayfork_taskstats_new(), or NULL to stop.
 *
 * The tracker reads @ts itself.  Each task's record is summed into its
 * process's member record (CPU times, run time, faults, I/O; the memory
 * peak is the largest reported).  The kernel queues a task's record
 * before its EXIT event, so at the exit that ends a member the tracker
 * reads @ts up to that task's record, and no further (later records may
 * be of processes whose forks it has not handled yet); the member's
 * final record then carries
 * RELAYFORK_MEMBER_F_USAGE when the task that ended it sent the last
 * record summed and no record was lost meanwhile.  Records of every
 * other process on the machine come too: call
 * relayfork_tracker_drain_usage() whenever @ts's descriptor is readable,
 * so that they do not fill its buffer, and when both descriptors are
 * readable, handle the monitor's events first.  A record read before its
 * process's fork was handled is held, up to 256 processes, when its
 * parent is a member; one whose parent has not joined yet either (a
 * child that ends before its parent, both forked since the monitor was
 * last read) is lost to the tracker.
 *
 * @ts stays the caller's: free it after the tracker, or after setting
 * NULL here.
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_tracker_set_taskstats(struct relayfork_tracker *tracker,
				    struct relayfork_taskstats *ts);

/**
 * relayfork_tracker_drain_usage() - take every record waiting on the
 * taskstats source.
 *
 * Return: how many were members' (or held for one), 0 without a source
 * or when none was, -EINVAL, or the error of relayfork_taskstats_receive().
 */
int relayfork_tracker_drain_usage(struct relayfork_tracker *tracker);

/**
 * relayfork_tracker_get_totals() - the job's counts and summed usage.
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_tracker_get_totals(struct relayfork_tracker *tracker,
				 struct relayfork_tracker_totals *ret_totals);

/**
 * Containers and cgroups
 * ======================
 *
 * Which container, service or session a process belongs to is written in
 * its cgroup's path: container runtimes and systemd name the cgroups
 * they make after what runs in them (docker-ID.scope,
 * kubepods-...-podUID.slice, sshd.service, session-3.scope, ...).
 * relayfork_cgroup_parse() reads such a path; a struct
 * relayfork_attribution follows processes through the events it is fed
 * and answers, for each, its cgroup, container, unit and PID namespace
 * without reading /proc again for every event.
 */

/** Container runtimes, in struct relayfork_container.runtime. */
enum relayfork_runtime {
	/** No container found in the path. */
	RELAYFORK_RUNTIME_NONE = 0,
	/** Docker (docker-ID.scope, /docker/ID). */
	RELAYFORK_RUNTIME_DOCKER = 1,
	/** Podman (libpod-ID.scope, /libpod_parent/libpod-ID). */
	RELAYFORK_RUNTIME_PODMAN = 2,
	/** containerd's CRI plugin or nerdctl (cri-containerd-ID.scope). */
	RELAYFORK_RUNTIME_CONTAINERD = 3,
	/** CRI-O (crio-ID.scope, crio-ID). */
	RELAYFORK_RUNTIME_CRIO = 4,
	/**
	 * A container of a Kubernetes pod whose cgroup does not name its
	 * runtime (the kubelet's cgroupfs driver: /kubepods/.../podUID/ID).
	 */
	RELAYFORK_RUNTIME_KUBERNETES = 5
};

/** Flags in struct relayfork_container.flags. */
enum relayfork_container_flags {
	/**
	 * The cgroup of the runtime's monitor of the container (conmon:
	 * libpod-conmon-ID.scope, crio-conmon-ID.scope), not the container
	 * itself: the processes in it run on the host.
	 */
	RELAYFORK_CONTAINER_F_MONITOR = 1 << 0,
	/** @unit was longer than its buffer and is cut. */
	RELAYFORK_CONTAINER_F_TRUNCATED = 1 << 1
};

/**
 * struct relayfork_container - what a cgroup path says of its processes.
 *
 * A fixed-size value without pointers.  Strings are NUL-terminated and
 * empty when the path does not say.  Where containers nest (a container
 * runtime inside a container, a kind node), the innermost one is given.
 */
struct relayfork_container {
	/** enum relayfork_runtime */
	uint32_t runtime;
	/** enum relayfork_container_flags */
	uint32_t flags;
	/** The container's id as its runtime shows it in full (64 hex digits). */
	char id[72];
	/**
	 * The Kubernetes pod's UID, with dashes (the kubelet's systemd
	 * driver writes underscores in cgroup names; they are turned back).
	 */
	char pod_uid[40];
	/**
	 * The innermost systemd unit of the path (the last component
	 * ending in .service or .scope): a service ("sshd.service"), a user
	 * session ("session-3.scope"), a user's manager
	 * ("user@1000.service"), a container's scope ("docker-ID.scope").
	 */
	char unit[256];
};

/**
 * relayfork_cgroup_parse() - what a cgroup v2 path says of its processes.
 * @path: a path in the unified hierarchy, as /proc/PID/cgroup shows it
 *   ("/system.slice/docker-ID.scope"), NUL-terminated.
 * @ret_container: filled in; zeroed when nothing is recognised.
 *
 * Pure: reads nothing but @path.  Thread-safe.
 *
 * Return: 1 when a container or a unit was recognised, 0 when not, or
 * -EINVAL (NULL argument).
 */
int relayfork_cgroup_parse(const char *path,
			   struct relayfork_container *ret_container);

/**
 * relayfork_runtime_name() - a lower-case name for a runtime ("docker",
 * "podman", "containerd", "cri-o", "kubernetes"), "" for
 * RELAYFORK_RUNTIME_NONE, NULL for an unknown value.  Thread-safe.
 */
const char *relayfork_runtime_name(int runtime);

struct relayfork_attribution;

/** The size of struct relayfork_attribution_info.cgroup, NUL included. */
#define RELAYFORK_CGROUP_PATH_MAX 1024

/** Flags in struct relayfork_attribution_info.flags. */
enum relayfork_attribution_flags {
	/**
	 * The process was gone when it was to be read: it was given its
	 * parent's cgroup (a child starts in its parent's cgroup unless
	 * created with CLONE_INTO_CGROUP).  @ns_pid and @pidns are 0.
	 */
	RELAYFORK_ATTRIBUTION_F_INHERITED = 1 << 0,
	/** The cgroup path did not fit in @cgroup and is cut. */
	RELAYFORK_ATTRIBUTION_F_TRUNCATED = 1 << 1
};

/**
 * struct relayfork_attribution_info - where a process belongs.
 *
 * A fixed-size value without pointers, filled in caller's storage by
 * relayfork_attribution_get().  The reserved bytes are zero.
 */
struct relayfork_attribution_info {
	/** The process (its thread-group id). */
	pid_t pid;
	/**
	 * Its pid in its own PID namespace (the last field of NSpid in
	 * /proc/PID/status): what ps shows inside its container.  Equal
	 * to @pid in the initial namespace; 0 when not known.
	 */
	pid_t ns_pid;
	/** enum relayfork_attribution_flags */
	uint32_t flags;
	uint32_t reserved0;
	/**
	 * The inode number of its PID namespace (as stat(2) of
	 * /proc/PID/ns/pid and lsns(8) show it); 0 when not known.
	 */
	uint64_t pidns;
	/**
	 * Its start time, CLOCK_MONOTONIC ns with the resolution of a clock
	 * tick (from /proc/PID/stat), or its fork event's timestamp when it
	 * was gone when read: with @pid, the identity that was read.
	 */
	uint64_t start_ns;
	/** What the cgroup's path says (parsed from the whole path). */
	struct relayfork_container container;
	/**
	 * Its cgroup in the unified (v2) hierarchy, as /proc/PID/cgroup
	 * shows it to a reader in the initial cgroup namespace, without the
	 * mount point: "/system.slice/sshd.service".  Empty on hosts
	 * without cgroup v2.
	 */
	char cgroup[RELAYFORK_CGROUP_PATH_MAX];
	unsigned char reserved[64];
};

/** Counters, for relayfork_attribution_get_counter(). */
enum relayfork_attribution_counter {
	/** Processes read from /proc (at fork, exec, or first sight). */
	RELAYFORK_ATTRIBUTION_READS = 0,
	/** Processes gone when read, given their parent's cgroup. */
	RELAYFORK_ATTRIBUTION_INHERITED = 1,
	/** Processes dropped from a full table (see _set_limit()). */
	RELAYFORK_ATTRIBUTION_EVICTED = 2,
	/** Processes known now (not cumulative). */
	RELAYFORK_ATTRIBUTION_PROCESSES = 3,
	/** Distinct cgroups known now (not cumulative). */
	RELAYFORK_ATTRIBUTION_CGROUPS = 4
};

/**
 * relayfork_attribution_new() - create an empty attribution table.
 * @flags: 0.
 *
 * The table follows the processes whose events it is handed with
 * relayfork_attribution_handle() (feed it every event a monitor
 * delivers, before looking at the event) and answers
 * relayfork_attribution_get() from memory:
 *
 *  - a process is read from /proc once, when its fork is handled, and
 *    again when it executes a program; a process that existed before
 *    (or whose fork was not seen) is read at its first event.  Reads go
 *    through one /proc/PID descriptor and are checked against the event:
 *    a process that started after the event has the pid of one that
 *    ended, and is not taken for it;
 *  - a process gone when its fork is handled takes its parent's cgroup
 *    (RELAYFORK_ATTRIBUTION_F_INHERITED);
 *  - threads share their process's entry: ask by thread-group id;
 *  - the exit that ends a process (RELAYFORK_EVENT_F_PROCESS_END) drops
 *    it at the next call of relayfork_attribution_handle(), so that its
 *    exit can still be attributed;
 *  - a RELAYFORK_EVENT_LOST empties the table (what was lost may have
 *    ended processes and reused their pids); processes are read again
 *    at their next event.
 *
 * The proc connector reports no cgroup changes: a process moved to
 * another cgroup (cgroup.procs) keeps its old answer until it executes a
 * program.
 *
 * Return: 0, -EINVAL (unknown flag, NULL @ret_attribution), -ENOMEM.
 */
int relayfork_attribution_new(unsigned int flags,
			      struct relayfork_attribution **ret_attribution);

/**
 * relayfork_attribution_free() - free the table; accepts NULL, returns
 * NULL.
 */
struct relayfork_attribution *
relayfork_attribution_free(struct relayfork_attribution *attribution);

/**
 * relayfork_attribution_set_limit() - bound the table's memory.
 * @max_processes: 1 or more; the default is 65536.
 *
 * Each process costs about 64 bytes and each distinct cgroup about
 * 1.5 KiB, shared by its processes.  A table fed every exit holds only
 * live processes; one that is not (a mask without exits) would grow.
 * When it holds @max_processes, a new process replaces one not looked
 * at lately (a clock, second-chance, eviction), which is read again at
 * its next event.  Lowering the limit evicts at once.
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_attribution_set_limit(struct relayfork_attribution *attribution,
				    size_t max_processes);

/**
 * relayfork_attribution_handle() - follow one event.
 *
 * Reads /proc only for a fork (of a process, not a thread), an exec,
 * and the first event of a process not known yet; other events of known
 * processes cost a hash lookup.
 *
 * Return: 1 when the event's process is known afterwards
 * (relayfork_attribution_get() answers for @event->tgid), 0 when it is
 * not (gone, and no parent known; LOST and unknown types), -EINVAL, or
 * -ENOMEM.
 */
int relayfork_attribution_handle(struct relayfork_attribution *attribution,
				 const struct relayfork_event *event);

/**
 * relayfork_attribution_get() - where a process belongs.
 * @pid: a process id (for an event, its @tgid).
 * @ret_info: filled in.
 *
 * Answers from memory, without a system call.
 *
 * Return: 0, -ENOENT when the process is not known, or -EINVAL.
 */
int relayfork_attribution_get(struct relayfork_attribution *attribution,
			      pid_t pid,
			      struct relayfork_attribution_info *ret_info);

/**
 * relayfork_attribution_get_counter() - read a counter.
 * @counter: an enum relayfork_attribution_counter value.
 *
 * Return: the counter, 0 for an unknown counter.
 */
uint64_t
relayfork_attribution_get_counter(struct relayfork_attribution *attribution,
				  int counter);

/*
 * Signal forwarding
 * =================
 *
 * The 2005 relayfork contract: on every fork, each registered process
 * receives a real-time signal whose siginfo carries
 *
 *   si_signo            the configured signal (default SIGRTMIN)
 *   si_errno            0
 *   si_code             SI_ASYNCIO
 *   si_pid              the task that forked (the event's parent_pid)
 *   si_value.sival_int  the new task (the event's pid)
 *
 * A struct relayfork_forwarder keeps the registered processes and sends
 * the signals for the fork events it is handed; it owns no socket (feed
 * it from a monitor, or from anywhere else) and installs no signal
 * handlers.  Targets are held as pidfds: a target that exits is dropped,
 * and a process that later gets its pid never receives our signal.
 *
 * Real-time signals can be lost: a receiver whose queue is full
 * (RLIMIT_SIGPENDING) makes the kernel refuse the signal with EAGAIN.
 * The forwarder counts such drops per target.
 *
 * The default action of a real-time signal is to terminate the process:
 * a receiver must block the signal (and take it with sigwaitinfo(2) or a
 * signalfd(2)) or handle it before registering.
 */

struct relayfork_forwarder;

/** Flags for relayfork_forwarder_new(). */
enum relayfork_forwarder_flags {
	/** Do not signal forks that create threads (the seed did). */
	RELAYFORK_FORWARDER_SKIP_THREADS = 1 << 0
};

/** Counters, for relayfork_forwarder_get_counter(). */
enum relayfork_forwarder_counter {
	/** Fork events handled (skipped threads not included). */
	RELAYFORK_FORWARDER_FORKS = 0,
	/** Signals delivered to targets' queues. */
	RELAYFORK_FORWARDER_SENT = 1,
	/** Signals refused because a target's queue was full (EAGAIN). */
	RELAYFORK_FORWARDER_DROPPED = 2,
	/** Targets removed because they exited. */
	RELAYFORK_FORWARDER_PRUNED = 3,
	/** Signals that failed for another reason (e.g. EPERM). */
	RELAYFORK_FORWARDER_FAILED = 4,
	/** Events lost by the monitor, from RELAYFORK_EVENT_LOST events. */
	RELAYFORK_FORWARDER_LOST = 5
};

/**
 * relayfork_forwarder_new() - create a forwarder with no targets.
 * @flags: 0 or RELAYFORK_FORWARDER_SKIP_THREADS.
 *
 * The signal starts as SIGRTMIN, evaluated at run time (34 with glibc).
 *
 * Return: 0, -EINVAL, -ENOMEM, -EMFILE or -ENFILE.
 */
int relayfork_forwarder_new(unsigned int flags,
			    struct relayfork_forwarder **ret_forwarder);

/**
 * relayfork_forwarder_free() - close every target's descriptor and free
 * the forwarder.  Accepts NULL, returns NULL.
 */
struct relayfork_forwarder *
relayfork_forwarder_free(struct relayfork_forwarder *forwarder);

/**
 * relayfork_forwarder_add() - register a process.
 * @pid: a process id (a thread-group leader).
 *
 * The caller must be allowed to signal the process.  A process that has
 * exited but is not reaped yet (a zombie) cannot be registered.
 *
 * Return: 1 when the process was registered, 0 when it was registered
 * already, or -EINVAL (pid not positive, or the id of a thread that is
 * not its process's main thread), -ESRCH (no such process, or it has
 * exited), -EPERM (the caller may not signal it), -ENOMEM, -EMFILE.
 */
int relayfork_forwarder_add(struct relayfork_forwarder *forwarder, pid_t pid);

/**
 * relayfork_forwarder_add_pidfd() - register the process a pidfd holds.
 * @pidfd: a descriptor from pidfd_open(2) or clone(CLONE_PIDFD); the
 *   forwarder keeps a copy, the caller keeps @pidfd.
 *
 * For callers that decide about a process before registering it (a
 * daemon checking who may register what): open its pidfd first, check
 * the process, make sure the pidfd has not become readable (the process
 * exited, and its pid may be reused), then register by pidfd; a
 * registration by pid could reach another process by then.  Otherwise
 * as relayfork_forwarder_add().
 *
 * Return: 1, 0, or -EBADF (not a pidfd), -ESRCH (the process has
 * exited), -EPERM, -ENOMEM, -EMFILE, -EINVAL.
 */
int relayfork_forwarder_add_pidfd(struct relayfork_forwarder *forwarder,
				  int pidfd);

/**
 * relayfork_forwarder_remove() - unregister a process.
 *
 * Return: 0, -ENOENT when @pid is not registered, -EINVAL.
 */
int relayfork_forwarder_remove(struct relayfork_forwarder *forwarder,
			       pid_t pid);

/**
 * relayfork_forwarder_set_signal() - choose the signal to send.
 * @signo: a value in [SIGRTMIN, SIGRTMAX] as evaluated at run time.
 *
 * The 2005 default was 33, which glibc reserves for itself (its
 * SIGRTMIN is 34): a glibc program can neither block nor handle it, so
 * it is refused like every other value outside the range.
 *
 * Return: 0 or -EINVAL.
 */
int relayfork_forwarder_set_signal(struct relayfork_forwarder *forwarder,
				   int signo);

/** relayfork_forwarder_get_signal() - the signal in use. */
int relayfork_forwarder_get_signal(struct relayfork_forwarder *forwarder);

/**
 * relayfork_forwarder_handle() - act on one event.
 *
 * For a fork event, removes the targets that have exited (a zombie still
 * accepts signals, which would be counted as delivered), then signals
 * every other target; other event types are ignored except
 * RELAYFORK_EVENT_LOST, whose count is added to RELAYFORK_FORWARDER_LOST.
 * Delivery failures are counted, not returned.
 *
 * Return: the number of signals delivered, or -EINVAL.
 */
int relayfork_forwarder_handle(struct relayfork_forwarder *forwarder,
			       const struct relayfork_event *event);

/**
 * relayfork_forwarder_get_fd() - a descriptor that becomes readable
 * (POLLIN) when a target exits.
 *
 * Add it to an event loop and call relayfork_forwarder_prune() when it
 * is readable, to learn at once that targets are gone (for example to
 * stop listening when none is left).  The forwarder owns it.  Targets
 * held without pidfds (kernels before 5.3) are checked only by prune,
 * handle and get_targets.
 *
 * Return: the descriptor, or -EINVAL.
 */
int relayfork_forwarder_get_fd(struct relayfork_forwarder *forwarder);

/**
 * relayfork_forwarder_prune() - remove every target that has exited.
 *
 * Return: the number of targets removed, or -EINVAL.
 */
int relayfork_forwarder_prune(struct relayfork_forwarder *forwarder);

/**
 * relayfork_forwarder_get_targets() - list the registered processes.
 * @pids: array to fill, in registration order; may be NULL if @n is 0.
 * @n: room in @pids.
 *
 * Exited targets are pruned first.
 *
 * Return: the number of targets (which may exceed @n; only @n are
 * stored), or -EINVAL.
 */
int relayfork_forwarder_get_targets(struct relayfork_forwarder *forwarder,
				    pid_t *pids, size_t n);

/**
 * relayfork_forwarder_get_target_counters() - per-target delivery counts.
 *
 * Return: 0 with *@ret_sent and *@ret_dropped set, -ENOENT when @pid is
 * not registered, or -EINVAL.
 */
int relayfork_forwarder_get_target_counters(
	struct relayfork_forwarder *forwarder, pid_t pid, uint64_t *ret_sent,
	uint64_t *ret_dropped);

/**
 * relayfork_forwarder_get_counter() - read a cumulative counter.
 * @counter: an enum relayfork_forwarder_counter value.
 *
 * Return: the counter, 0 for an unknown counter.
 */
uint64_t relayfork_forwarder_get_counter(struct relayfork_forwarder *forwarder,
					 int counter);

/**
 * relayfork_siginfo_get_fork() - decode a forwarded signal.
 * @code: the siginfo's si_code (ssi_code from a signalfd).
 * @sender: its si_pid (ssi_pid).
 * @value: its si_value.sival_int (ssi_int).
 * @ret_parent, @ret_child: receive the task that forked and the new task.
 *
 * Takes the fields rather than a siginfo_t so that it serves
 * sigwaitinfo(2), SA_SIGINFO handlers and signalfd(2) alike.
 * Async-signal-safe.
 *
 * Return: 0, or -EINVAL when the fields do not come from a forwarder
 * (si_code is not SI_ASYNCIO, or a pid is not positive).
 */
int relayfork_siginfo_get_fork(int code, int sender, int value,
			       pid_t *ret_parent, pid_t *ret_child);

/*
 * Resource usage (taskstats)
 * ==========================
 *
 * When a task exits, the kernel's taskstats interface (generic netlink
 * family "TASKSTATS") can send its resource usage: CPU time, page
 * faults, context switches, memory peaks, I/O.  A
 * struct relayfork_taskstats receives these exit records as
 * struct relayfork_usage values, through the same kind of fd API as a
 * monitor: poll relayfork_taskstats_get_fd() for POLLIN, then call
 * relayfork_taskstats_receive() until it returns 0.
 *
 * Every exiting task sends its own record, threads included; the last
 * task of a process carries RELAYFORK_USAGE_F_LAST_THREAD (it need not
 * be the main thread).  A process's usage is the sum of its tasks'
 * records.  The kernel also sends a per-process aggregate with the last
 * task's record of a process that ever had several threads; it holds
 * little besides delay and CPU totals (no ids, no command name, and
 * older kernels fill only the delays), so it is not delivered, only
 * counted (RELAYFORK_TASKSTATS_AGGREGATES).
 *
 * Records and the proc connector's events travel on different sockets:
 * either may be read first.  But the kernel queues a task's record (or
 * drops it, counting the drop) before it sends the task's EXIT event, so
 * a consumer that holds records by pid can settle each at its EXIT: when
 * the EXIT is read, receive from this object until it returns 0, and
 * the task's record has come, or a RELAYFORK_USAGE_LOST record that
 * counts it.  Pids are reused fast: match on @pid and @ppid (or the
 * start time), not the pid alone.
 *
 * Receiving records needs CAP_NET_ADMIN in the initial user namespace
 * and a process in the initial user, PID and network namespaces.  A
 * process tracker can run without: it then knows processes but not
 * their resource usage.
 *
 * Loss works as for events: when the receive buffer overflows, the
 * kernel drops records, and the library reports how many in a
 * RELAYFORK_USAGE_LOST record, exactly (from the socket's drop counter).
 * Records carry no timestamp: the LOST record comes after the records
 * read together with the check that found the drops, and records that
 * were queued before the drops but read later may follow it.
 *
 * Threads and fork() as for a monitor: one thread uses an object for its
 * whole life; a child that inherited one through fork() shares its
 * socket and registration, may read it (taking records from the parent)
 * but changes nothing: set_receive_buffer_size fails with -ECHILD, and
 * free only closes the child's copy (the registration is the parent's).
 */

struct relayfork_taskstats;

/** What a struct relayfork_usage reports. */
enum relayfork_usage_type {
	/** A task exited; its resource usage. */
	RELAYFORK_USAGE_TASK = 1,
	/** Records were lost; see struct relayfork_usage.lost. */
	RELAYFORK_USAGE_LOST = 100
};

/** Flags in struct relayfork_usage.flags. */
enum relayfork_usage_flags {
	/**
	 * The task was the last of its process (the kernel's AGROUP):
	 * the process has ended with it.  Usually the main thread; when
	 * main() called pthread_exit(), the last thread to leave.
	 */
	RELAYFORK_USAGE_F_LAST_THREAD = 1 << 0
};

/**
 * struct relayfork_usage - one task's resource usage at exit.
 *
 * A fixed-size value (256 bytes) the library fills in; no pointers.
 * The reserved bytes are zero and may carry new fields later.  For a
 * RELAYFORK_USAGE_LOST record only @type and @lost are set.
 *
 * Units and precision, as the kernel reports them:
 *  - @utime_us and @stime_us are sampled at timer ticks (4 ms at HZ
 *    250): a task that ran less than a tick may show 0, and their sum
 *    comes within about half a tick per task of getrusage(2)'s.
 *    @run_ns is the scheduler's exact count of time on a CPU (the
 *    kernel's cpu_run_virtual_total; its cpu_run_real_total is only
 *    utime + stime in ns).
 *  - @read_chars, @write_chars, @read_bytes and @write_bytes are
 *    rounded down to a multiple of 1024 by the kernel (a task that read
 *    3000 bytes shows 2048).  The chars count every read(2)/write(2)
 *    and the like, terminals and pipes included; the bytes only what
 *    went to or came from storage (0 without CONFIG_TASK_IO_ACCOUNTING).
 *  - @hiwater_rss_kb and @hiwater_vm_kb are the process's peaks so
 *    far, in KiB: every thread reports its process's, and the last
 *    task's are the process's own.
 *  - @comm is the task's name at exit.
 *  - pids are in the initial PID namespace; @tgid is 0 on kernels whose
 *    taskstats version is below 12.  @start_time_s has one-second
 *    resolution: with pids reused quickly (pid_max 32768), @ppid
 *    tells a child of one's own from a stranger that had its pid.
 *
 * Fields a kernel's version does not have are 0.
 */
struct relayfork_usage {
	/** enum relayfork_usage_type */
	uint32_t type;
	/** enum relayfork_usage_flags */
	uint32_t flags;
	/** The kernel's struct taskstats version (13 on Linux 6.1). */
	uint32_t version;
	/** The task that exited (its TID) and its process. */
	pid_t pid;
	pid_t tgid;
	/** Real user and group id at exit. */
	uint32_t uid;
	uint32_t gid;
	/** Raw wait(2) status: use WIFEXITED() etc. on it. */
	int32_t exit_status;
	/** When the task started, seconds since the epoch. */
	uint64_t start_time_s;
	/** Wall-clock time from start to exit, microseconds. */
	uint64_t elapsed_us;
	/** User and system CPU time, microseconds, tick-sampled. */
	uint64_t utime_us;
	uint64_t stime_us;
	/** Time on a CPU, nanoseconds, exact. */
	uint64_t run_ns;
	/** Page faults without and with I/O. */
	uint64_t minflt;
	uint64_t majflt;
	/** Voluntary and involuntary context switches. */
	uint64_t nvcsw;
	uint64_t nivcsw;
	/** Peak resident and virtual memory of the process, KiB. */
	uint64_t hiwater_rss_kb;
	uint64_t hiwater_vm_kb;
	/** Bytes read and written through system calls (rchar, wchar). */
	uint64_t read_chars;
	uint64_t write_chars;
	/** Bytes read from and written to storage. */
	uint64_t read_bytes;
	uint64_t write_bytes;
	/** RELAYFORK_USAGE_LOST: records dropped (0: unknown). */
	uint64_t lost;
	/** The task's name at exit, NUL-terminated. */
	char comm[32];
	/**
	 * The process's parent when the task exited (after any
	 * reparenting), 0 when the kernel could not tell.
	 */
	pid_t ppid;
	unsigned char reserved[60];
};

/** Counters, for relayfork_taskstats_get_counter(). */
enum relayfork_taskstats_counter {
	/** Task records received from the kernel. */
	RELAYFORK_TASKSTATS_RECEIVED = 0,
	/** Records lost, the sum of all RELAYFORK_USAGE_LOST counts. */
	RELAYFORK_TASKSTATS_LOST = 1,
	/** Messages from the kernel that could not be decoded, skipped. */
	RELAYFORK_TASKSTATS_MALFORMED = 2,
	/** Per-process aggregates received and not delivered. */
	RELAYFORK_TASKSTATS_AGGREGATES = 3,
	/** Datagrams not sent by the kernel (forged), dropped. */
	RELAYFORK_TASKSTATS_FOREIGN = 4
};

/**
 * relayfork_taskstats_new() - receive resource usage at every exit.
 * @flags: 0.
 * @ret_ts: receives the object.
 *
 * Opens a generic netlink socket (close-on-exec, non-blocking), finds
 * the TASKSTATS family, asks for a receive buffer of 8 MiB (forced with
 * CAP_NET_ADMIN, which this needs anyway) and registers for the exit
 * records of every possible CPU (/sys/devices/system/cpu/possible).
 * Records of tasks that exit after it returns are delivered or counted
 * as lost; some that exited while it ran may be delivered too.
 *
 * Return: 0, or
 *  -EPERM: the caller lacks CAP_NET_ADMIN in the initial user
 *   namespace;
 *  -EOPNOTSUPP: the process is not in the initial user and PID
 *   namespaces (the kernel refuses listeners there);
 *  -ECONNREFUSED: the process is not in the initial network namespace
 *   (the kernel would accept the registration there, and send the
 *   records to a socket of the initial namespace that has the same
 *   port id);
 *  -EPROTONOSUPPORT: the kernel has no taskstats (CONFIG_TASKSTATS);
 *  -EINVAL (unknown flag, NULL @ret_ts), -ENOMEM, -EMFILE, -ENFILE,
 *  -ETIMEDOUT (the kernel did not answer), or another negative errno
 *  from the system calls involved.  relayfork_strerror() explains the
 *  first four.
 */
int relayfork_taskstats_new(unsigned int flags,
			    struct relayfork_taskstats **ret_ts);

/**
 * relayfork_taskstats_free() - deregister, close and free.
 *
 * In a child that inherited @ts through fork() it only closes the
 * child's copy.  Accepts NULL; returns NULL.
 */
struct relayfork_taskstats *
relayfork_taskstats_free(struct relayfork_taskstats *ts);

/**
 * relayfork_taskstats_get_fd() - the descriptor to poll (POLLIN).
 *
 * Owned by @ts: never close it, read it or change its flags.
 * Close-on-exec and non-blocking; an overflow raises no error on it.
 *
 * Return: the descriptor, or -EINVAL for a NULL @ts.
 */
int relayfork_taskstats_get_fd(struct relayfork_taskstats *ts);

/**
 * relayfork_taskstats_receive() - take the next record without blocking.
 * @usage: storage the library fills in.
 *
 * Records come from an internal batch that one recvmmsg(2) call fills;
 * call it until it returns 0 each time the descriptor is readable.
 *
 * Return: 1 when @usage was filled (a RELAYFORK_USAGE_TASK or
 * RELAYFORK_USAGE_LOST record), 0 when nothing is waiting, or a negative
 * errno (-EINVAL for NULL arguments, or a socket error).
 */
int relayfork_taskstats_receive(struct relayfork_taskstats *ts,
				struct relayfork_usage *usage);

/**
 * relayfork_taskstats_set_receive_buffer_size() - size the socket's
 * buffer.
 * @bytes: the wanted size (the default asks for 8 MiB).
 *
 * As relayfork_monitor_set_receive_buffer_size(): SO_RCVBUFFORCE with
 * CAP_NET_ADMIN, SO_RCVBUF otherwise.  One queued record takes about
 * RELAYFORK_QUEUED_USAGE_BYTES of it.
 *
 * Return: the size the kernel granted (twice what was asked), or
 * -EINVAL, -ECHILD (in a child that inherited @ts), or the error of
 * setsockopt(2).
 */
int relayfork_taskstats_set_receive_buffer_size(struct relayfork_taskstats *ts,
						size_t bytes);

/**
 * RELAYFORK_QUEUED_USAGE_BYTES - what one queued exit record takes of
 * the receive buffer as the kernel counts it: a record of a task whose
 * process lives on (or had one thread); the last task of a process that
 * had several threads sends one with the aggregate, about twice as big.
 * Measured on x86_64 with Linux 6.1 and 6.18.
 */
#define RELAYFORK_QUEUED_USAGE_BYTES 1280

/**
 * relayfork_taskstats_get_counter() - read a cumulative counter.
 * @counter: an enum relayfork_taskstats_counter value.
 *
 * Return: the counter, 0 for an unknown counter or a NULL @ts.
 */
uint64_t relayfork_taskstats_get_counter(struct relayfork_taskstats *ts,
					 int counter);

#ifdef __cplusplus
}
#endif

#endif /* RELAYFORK_RELAYFORK_H */
