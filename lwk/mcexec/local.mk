## lwk/mcexec: the mcexec double
