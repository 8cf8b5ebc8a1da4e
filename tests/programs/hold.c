/*
 * hold: keep a device file open for a while, as a process that holds an
 * LWK device (an escaped rank, a monitor) does.
 *
 *   hold PATH SECONDS
 *
 * Opens PATH read-write like mcexec. A character device whose driver is
 * not there (the IHK double's devices made with an unused major number)
 * cannot be opened (ENXIO; EPERM in a container whose device cgroup does
 * not list it): then, as the kernel would for the device's owner and
 * mode, the caller's access is checked and the file is held with O_PATH,
 * which /proc/PID/fd shows the same way (ihk_double_open_device: the
 * double's one rule, which the mcexec double follows too). Exits 0 after
 * SECONDS (or at SIGTERM), 1 when PATH cannot be held, with the reason on
 * stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ihk-double.h"

int main(int argc, char **argv)
{
	char *end;
	long seconds;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hold PATH SECONDS\n");
		return 2;
	}
	errno = 0;
	seconds = strtol(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || seconds < 0) {
		fprintf(stderr, "hold: SECONDS '%s': expected a whole number\n", argv[2]);
		return 2;
	}
	fd = ihk_double_open_device(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "hold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	signal(SIGTERM, SIG_DFL);
	while (seconds > 0)
		seconds = sleep((unsigned)seconds);
	close(fd);
	return 0;
}
