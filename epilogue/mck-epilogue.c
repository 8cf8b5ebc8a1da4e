/*
 * mck-epilogue: slurmd's Epilog. For a job that asked for --mckernel:
 * mckctl teardown --job J, which also cleans what a prologue that failed
 * halfway left; a node that cannot be made clean fails the epilogue with
 * the reason, and Slurm drains it.
 */
#include "config.h"

#include "prologue/mck-slurmd-script.h"

int main(void)
{
	return mck_slurmd_script_main(MCK_SCRIPT_EPILOG);
}
