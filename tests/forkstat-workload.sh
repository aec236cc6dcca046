#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The workload of the forkwatch/forkstat comparison in the README.  Start
# it, then within half a second the watchers:
#   tests/forkstat-workload.sh & sleep 0.2
#   forkstat -e all > forkstat.out & forkwatch -e all > forkwatch.out &
sleep 1.5 &                     # started before the watchers, exits later
sleep 0.5
sh -c 'sleep 0.2; exit 3'
sh -c 'kill -SEGV $$'
python3 -c 'import threading, os; t = threading.Thread(target=lambda: 0); t.start(); t.join(); os.setgid(100); os.setuid(1000)'
wait
