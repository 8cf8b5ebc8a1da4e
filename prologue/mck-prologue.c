/*
 * mck-prologue: slurmd's Prolog (PrologFlags=Alloc). For a job that
 * asked for --mckernel: mckctl boot --job J --uid U --gid G [--partition P].
 */
#include "config.h"

#include "prologue/mck-slurmd-script.h"

int main(void)
{
	return mck_slurmd_script_main(MCK_SCRIPT_PROLOG);
}
