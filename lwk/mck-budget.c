/* mck-budget.c: see mck-budget.h. */
#include "config.h"

#include "mck-budget.h"

void mck_budget(const struct mck_config *cfg, struct mck_budget *b)
{
	b->teardown_s = MCK_HOLDER_GRACE_S + cfg->shutdown_timeout + MCK_RELEASE_MARGIN_S;
	b->boot_s = b->teardown_s + cfg->boot_timeout + MCK_RESERVE_MARGIN_S;
	b->lock_wait_s = b->boot_s;
	b->mckctl_boot_s = b->lock_wait_s + b->boot_s;
	b->mckctl_teardown_s = b->lock_wait_s + b->teardown_s;
	b->mckctl_step_s = b->mckctl_boot_s;
	b->script_s = b->mckctl_boot_s + MCK_DRAIN_SCONTROL_S + MCK_SCRIPT_MARGIN_S;
}
