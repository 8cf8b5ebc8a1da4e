/*
 * mpi_hello: the demo and integration-test MPI program.
 * Every rank takes part in an MPI_Allreduce of the ranks and prints one
 * line: its rank, the size, the sum, its node, its parent process' name
 * (mcexec when started through McKernel) and the job and step ids.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parent_name(char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)getppid());
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int main(int argc, char **argv)
{
	int rank, size, sum = 0;
	char host[256], parent[64];
	const char *job = getenv("SLURM_JOB_ID");
	const char *step = getenv("SLURM_STEP_ID");

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	gethostname(host, sizeof(host));
	parent_name(parent, sizeof(parent));
	printf("rank %d of %d: sum %d (expected %d) node %s parent %s job %s step %s\n",
	       rank, size, sum, size * (size - 1) / 2, host, parent,
	       job ? job : "-", step ? step : "-");
	MPI_Finalize();
	return sum == size * (size - 1) / 2 ? 0 : 1;
}
