"""Real container registries (Debian's distribution 2.8) and test images; see testregistry.py."""
