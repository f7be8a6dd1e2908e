"""numba kernels: small pure functions over arrays (numpy and numba only, no pandas, no I/O)."""
