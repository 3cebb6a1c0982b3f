"""A real Kubernetes API server (kube-apiserver 1.20 + etcd) for tests; see testcluster.py."""
