## test-cluster: fragment of the top-level Makefile.am
