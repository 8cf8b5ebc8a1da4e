## test-cluster: a real multi-node Slurm cluster on one machine.
EXTRA_DIST += test-cluster/cluster test-cluster/host-exec test-cluster/docker-entry \
	test-cluster/docker-compose.yml test-cluster/Dockerfile test-cluster/test-files.sh
TESTS += test-cluster/test-files.sh
