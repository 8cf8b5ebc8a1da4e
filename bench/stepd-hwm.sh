#!/bin/sh
# stepd-hwm.sh: run as a task of a step; prints the peak RSS (VmHWM, KiB)
# of the slurmstepd above it (through mcexec when the step is wrapped).
p=$PPID
while [ "$p" -gt 1 ]; do
	if [ "$(cat /proc/$p/comm 2>/dev/null)" = slurmstepd ]; then
		awk '/^VmHWM:/ { print "hwm", $2 }' /proc/$p/status
		exit 0
	fi
	p=$(awk '{ print $4 }' /proc/$p/stat 2>/dev/null || echo 1)
done
echo "hwm none"
