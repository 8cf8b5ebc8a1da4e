## test-cluster: a real multi-node Slurm cluster on one machine, in network
## namespaces (cluster) or Docker containers (compose, base-image).
EXTRA_DIST += test-cluster/cluster test-cluster/host-exec test-cluster/docker-entry \
	test-cluster/docker-compose.yml test-cluster/Dockerfile test-cluster/test-files.sh \
	test-cluster/compose test-cluster/base-image test-cluster/tests/firewall.sh \
	.dockerignore
TESTS += test-cluster/test-files.sh
