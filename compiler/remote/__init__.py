"""Remote `uses:`: components from other repositories, pinned in `kfyaml.lock` and kept offline.

refs parses the references (`git+URL//PATH@REF`, `https://...` with
`sha256:`), lockfile reads and writes `kfyaml.lock`, store is the
content-addressed cache (and `kfyaml vendor`'s copy) that every file is
read back from and checked against its digest, fetch is the only module
that reaches the network (git and HTTPS), locking walks a remote pipeline's
own `uses:` to pin what it needs, and resolve is what the compiler calls:
a locked reference becomes a local file, never fetched again.
"""
