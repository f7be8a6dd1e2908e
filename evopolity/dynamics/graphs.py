"""Graphs for structured populations: builders of the standard structures and converters.

A :class:`Graph` is a simple undirected graph on the nodes ``0 .. n-1`` held as compressed
sparse rows (CSR): the neighbours of node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``,
sorted, each edge stored in both directions, no self-loops, no repeated edges. The kernels of
:mod:`evopolity.kernels.graph` read these two arrays and nothing else.

Builders: :func:`lattice` (square, von Neumann or Moore neighbourhood, periodic or not),
:func:`ring` (each node linked to its ``k`` nearest), :func:`complete`, :func:`star`,
:func:`random_regular`, :func:`erdos_renyi`, :func:`barabasi_albert`, :func:`watts_strogatz`;
converters :func:`from_edges`, :func:`from_adjacency` (a dense or scipy sparse matrix) and
:func:`from_networkx` (networkx is imported only there, and only when called). Random builders
take ``seed`` as every function of the package does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from evopolity.validate import integer, probability, seed_sequence

__all__ = [
    "Graph",
    "assortment",
    "barabasi_albert",
    "complete",
    "erdos_renyi",
    "from_adjacency",
    "from_edges",
    "from_networkx",
    "lattice",
    "random_regular",
    "ring",
    "star",
    "watts_strogatz",
]

MAX_NODES = 100_000_000


@dataclass(frozen=True, eq=False)
class Graph:
    """A simple undirected graph in compressed sparse rows (read-only arrays).

    Build one with the functions of :mod:`evopolity.dynamics.graphs` (``ep.graphs``) rather
    than by hand: they check what this class assumes.

    Parameters
    ----------
    n : int
        Number of nodes, ``0 .. n-1``.
    indptr : ndarray of int64, shape (n + 1,)
        Row pointers: the neighbours of ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    indices : ndarray of int64
        Neighbours, sorted within each row; every edge appears in both rows.
    name : str
        A short description (``"lattice(10, von_neumann)"``).
    """

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    name: str = field(default="graph")

    def __post_init__(self) -> None:
        for a in (self.indptr, self.indices):
            a.setflags(write=False)

    @property
    def degrees(self) -> np.ndarray:
        """The degree of every node, int64 (n,)."""
        return np.diff(self.indptr)

    @property
    def n_edges(self) -> int:
        """The number of (undirected) edges."""
        return int(self.indices.size // 2)

    def neighbours(self, i: int) -> np.ndarray:
        """The neighbours of node ``i``, sorted.

        Parameters
        ----------
        i : int
            A node, ``0 <= i < n``.

        Returns
        -------
        ndarray of int64
            A read-only view of its row.
        """
        i = integer(i, "i", 0, self.n - 1)
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def edges(self) -> np.ndarray:
        """Every edge once, as rows ``(i, j)`` with ``i < j``, sorted.

        Returns
        -------
        ndarray of int64, shape (n_edges, 2)
        """
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.degrees)
        keep = rows < self.indices
        return np.column_stack([rows[keep], self.indices[keep]])

    def is_regular(self) -> bool:
        """Whether every node has the same degree.

        Returns
        -------
        bool
        """
        d = self.degrees
        return bool(d.size == 0 or (d == d[0]).all())

    def components(self) -> int:
        """The number of connected components (an isolated node is one).

        Returns
        -------
        int
        """
        seen = np.zeros(self.n, dtype=bool)
        count = 0
        for start in range(self.n):
            if seen[start]:
                continue
            count += 1
            seen[start] = True
            queue = deque([start])
            while queue:
                i = queue.popleft()
                row = self.indices[self.indptr[i]:self.indptr[i + 1]]
                new = row[~seen[row]]
                seen[new] = True
                queue.extend(new.tolist())
        return count

    def is_connected(self) -> bool:
        """Whether every node can reach every other.

        Returns
        -------
        bool
        """
        return self.components() == 1

    def __repr__(self) -> str:
        return f"Graph({self.name}: {self.n} nodes, {self.n_edges} edges)"


def _build(n: int, i: np.ndarray, j: np.ndarray, name: str, *, what: str = "edges") -> Graph:
    """The graph of the undirected edges ``(i[e], j[e])``: symmetrised, repeated edges merged,
    self-loops refused."""
    i = np.asarray(i, dtype=np.int64).ravel()
    j = np.asarray(j, dtype=np.int64).ravel()
    if (i == j).any():
        e = int(np.flatnonzero(i == j)[0])
        raise ValueError(f"{what} must not hold self-loops, got ({i[e]}, {j[e]})")
    src = np.concatenate([i, j])
    dst = np.concatenate([j, i])
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    if src.size:
        keep = np.ones(src.size, dtype=bool)
        keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst = src[keep], dst[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return Graph(n, indptr, np.ascontiguousarray(dst), name)


def _nodes(n: Any, name: str, minimum: int) -> int:
    return integer(n, name, minimum, MAX_NODES)


def _rng(seed: Any) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed_sequence(seed)))


def lattice(
    side: int,
    neighbourhood: Literal["von_neumann", "moore"] = "von_neumann",
    periodic: bool = True,
) -> Graph:
    """A ``side`` x ``side`` square lattice; node ``r * side + c`` sits at row ``r``, column ``c``.

    Parameters
    ----------
    side : int
        Nodes per row and per column (>= 3 when periodic, so that no two neighbours coincide;
        >= 2 otherwise).
    neighbourhood : {"von_neumann", "moore"}
        The 4 orthogonal neighbours, or these and the 4 diagonal ones (8).
    periodic : bool
        Wrap the edges around (a torus: every node has degree 4 or 8).

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For an unknown ``neighbourhood`` or a ``side`` too small.
    """
    if neighbourhood not in ("von_neumann", "moore"):
        raise ValueError(f"neighbourhood must be 'von_neumann' or 'moore', got {neighbourhood!r}")
    if not isinstance(periodic, bool | np.bool_):
        raise TypeError(f"periodic must be a bool, got {type(periodic).__name__}")
    side = integer(side, "side", 3 if periodic else 2, 10_000)
    steps = [(0, 1), (1, 0)]
    if neighbourhood == "moore":
        steps += [(1, 1), (1, -1)]
    r, c = np.divmod(np.arange(side * side, dtype=np.int64), side)
    src, dst = [], []
    for dr, dc in steps:
        r2, c2 = r + dr, c + dc
        if periodic:
            r2, c2 = r2 % side, c2 % side
            ok = np.ones(r.size, dtype=bool)
        else:
            ok = (r2 >= 0) & (r2 < side) & (c2 >= 0) & (c2 < side)
        src.append((r * side + c)[ok])
        dst.append((r2 * side + c2)[ok])
    kind = "periodic" if periodic else "bounded"
    return _build(side * side, np.concatenate(src), np.concatenate(dst),
                  f"lattice({side}, {neighbourhood}, {kind})")


def ring(n: int, k: int = 2) -> Graph:
    """A cycle of ``n`` nodes, each linked to its ``k`` nearest (``k / 2`` on each side).

    Parameters
    ----------
    n : int
        Number of nodes (> k).
    k : int
        The degree, even and >= 2 (2: the cycle).

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For an odd ``k``, ``k < 2``, or ``n <= k``.
    """
    k = integer(k, "k", 2)
    if k % 2:
        raise ValueError(f"k must be even (k / 2 neighbours on each side), got {k}")
    n = _nodes(n, "n", 3)
    if n <= k:
        raise ValueError(f"n must exceed k = {k}, got {n}")
    nodes = np.arange(n, dtype=np.int64)
    src = np.concatenate([nodes] * (k // 2))
    dst = np.concatenate([(nodes + s) % n for s in range(1, k // 2 + 1)])
    return _build(n, src, dst, f"ring({n}, {k})")


def complete(n: int) -> Graph:
    """The complete graph on ``n`` nodes (the well-mixed population).

    Parameters
    ----------
    n : int
        Number of nodes (>= 2).

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For ``n < 2`` or more than 10^5 nodes (``n (n - 1)`` stored neighbours).
    """
    n = integer(n, "n", 2, 100_000)
    i, j = np.triu_indices(n, 1)
    return _build(n, i, j, f"complete({n})")


def star(n: int) -> Graph:
    """A star: node 0 (the hub) linked to each of the ``n - 1`` leaves.

    Parameters
    ----------
    n : int
        Number of nodes (>= 2).

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For ``n < 2``.
    """
    n = _nodes(n, "n", 2)
    leaves = np.arange(1, n, dtype=np.int64)
    return _build(n, np.zeros(n - 1, dtype=np.int64), leaves, f"star({n})")


def random_regular(n: int, d: int, seed: int | np.random.SeedSequence | None = None) -> Graph:
    """A random ``d``-regular simple graph on ``n`` nodes.

    Stubs (``d`` per node) are shuffled and paired; pairs that would make a self-loop or a
    repeated edge go back and are shuffled again, and the pairing restarts when no valid pair
    is left (in the spirit of Steger & Wormald 1999 and networkx's ``random_regular_graph``).
    The result is close to uniform over d-regular graphs for small ``d``; it may be
    disconnected (likely for ``d = 2``).

    Parameters
    ----------
    n : int
        Number of nodes (> d).
    d : int
        The degree (>= 1; ``n d`` even).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int gives the same graph every time.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For ``n * d`` odd, ``d >= n``, or a pairing that fails 1000 times in a row.
    """
    n = _nodes(n, "n", 2)
    d = integer(d, "d", 1)
    if d >= n:
        raise ValueError(f"d must be below n = {n}, got {d}")
    if (n * d) % 2:
        raise ValueError(f"n * d must be even, got n = {n}, d = {d}")
    rng = _rng(seed)
    for _ in range(1000):
        edges = _pair_stubs(n, d, rng)
        if edges is not None:
            e = np.array(sorted(edges), dtype=np.int64).reshape(-1, 2)
            return _build(n, e[:, 0], e[:, 1], f"random_regular({n}, {d})")
    raise ValueError(f"could not pair the stubs of a {d}-regular graph on {n} nodes")


def _pair_stubs(n: int, d: int, rng: np.random.Generator) -> set[tuple[int, int]] | None:
    edges: set[tuple[int, int]] = set()
    stubs = np.repeat(np.arange(n), d)
    while stubs.size:
        rng.shuffle(stubs)
        left: list[int] = []
        for a, b in zip(stubs[0::2].tolist(), stubs[1::2].tolist(), strict=True):
            e = (a, b) if a < b else (b, a)
            if a == b or e in edges:
                left += [a, b]
            else:
                edges.add(e)
        if len(left) == stubs.size:  # no progress: is any pair still possible?
            nodes = sorted(set(left))
            if not any((u, v) not in edges for x, u in enumerate(nodes) for v in nodes[x + 1:]):
                return None
        stubs = np.array(left, dtype=np.int64)
    return edges


def erdos_renyi(n: int, p: float, seed: int | np.random.SeedSequence | None = None) -> Graph:
    """The Erdős–Rényi random graph G(n, p): each of the ``n (n - 1) / 2`` pairs is an edge with
    probability ``p``, independently.

    The number of edges is drawn from its binomial law and the pairs from all pairs without
    replacement, so a sparse graph costs memory in its edges, not in ``n^2``. It may have
    isolated nodes and several components; the processes refuse those where they matter.

    Parameters
    ----------
    n : int
        Number of nodes (>= 2).
    p : float
        Edge probability in [0, 1].
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int gives the same graph every time.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For ``n < 2`` or ``p`` outside [0, 1].
    """
    n = _nodes(n, "n", 2)
    p = probability(p, "p")
    rng = _rng(seed)
    pairs = n * (n - 1) // 2
    m = int(rng.binomial(pairs, p))
    if m > 50_000_000:
        raise ValueError(f"erdos_renyi would hold about {m} edges; lower n or p")
    chosen = np.sort(rng.choice(pairs, size=m, replace=False)).astype(np.int64)
    i, j = _pair_of_index(chosen, n)
    return _build(n, i, j, f"erdos_renyi({n}, {p:g})")


def _pair_of_index(q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-major index ``q`` of the pair ``(i, j)``, ``i < j``, of ``n`` nodes -> ``(i, j)``."""
    # pairs before row i: i n - i (i + 1) / 2; solve for the largest i with that <= q
    b = 2 * n - 1
    i = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * q, 0.0))) / 2).astype(np.int64)
    start = i * n - i * (i + 1) // 2
    over = start > q  # round-off: one row too far
    i[over] -= 1
    start = i * n - i * (i + 1) // 2
    nxt = (i + 1) * n - (i + 1) * (i + 2) // 2
    under = nxt <= q
    i[under] += 1
    start = i * n - i * (i + 1) // 2
    return i, q - start + i + 1


def barabasi_albert(n: int, m: int, seed: int | np.random.SeedSequence | None = None) -> Graph:
    """A Barabási–Albert preferential-attachment graph (Barabási & Albert 1999).

    It starts from a star of ``m + 1`` nodes (as networkx does); each later node links to
    ``m`` distinct earlier nodes chosen with probability proportional to their degree. It has
    ``m (n - m)`` edges and is connected.

    Parameters
    ----------
    n : int
        Number of nodes (> m).
    m : int
        Edges each new node brings (>= 1).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int gives the same graph every time.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For ``m < 1`` or ``n <= m``.
    """
    m = integer(m, "m", 1)
    n = _nodes(n, "n", 2)
    if n <= m:
        raise ValueError(f"n must exceed m = {m}, got {n}")
    rng = _rng(seed)
    src = [0] * m
    dst = list(range(1, m + 1))
    ends = src + dst  # every edge end once: drawing from it is drawing proportionally to degree
    for new in range(m + 1, n):
        targets: set[int] = set()
        while len(targets) < m:
            targets.add(ends[int(rng.integers(len(ends)))])
        for t in sorted(targets):
            src.append(new)
            dst.append(t)
            ends += [new, t]
    return _build(n, np.array(src), np.array(dst), f"barabasi_albert({n}, {m})")


def watts_strogatz(
    n: int, k: int, p: float, seed: int | np.random.SeedSequence | None = None
) -> Graph:
    """A Watts–Strogatz small world (Watts & Strogatz 1998): a :func:`ring` of degree ``k``
    whose edges ``(u, u + s)`` are each rewired with probability ``p`` to ``(u, w)``, ``w``
    uniform among the nodes that are neither ``u`` nor already its neighbours.

    The number of edges stays ``n k / 2``; the graph may become disconnected for large ``p``.

    Parameters
    ----------
    n : int
        Number of nodes (> k).
    k : int
        Degree of the ring, even and >= 2.
    p : float
        Rewiring probability in [0, 1].
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int gives the same graph every time.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For an invalid ring (see :func:`ring`) or ``p`` outside [0, 1].
    """
    base = ring(n, k)
    p = probability(p, "p")
    rng = _rng(seed)
    adj = [set(base.neighbours(i).tolist()) for i in range(base.n)]
    for s in range(1, k // 2 + 1):
        for u in range(base.n):
            v = (u + s) % base.n
            if v not in adj[u] or rng.random() >= p:
                continue
            if len(adj[u]) >= base.n - 1:
                continue  # u is linked to everyone: nowhere to go
            while True:
                w = int(rng.integers(base.n))
                if w != u and w not in adj[u]:
                    break
            adj[u].discard(v)
            adj[v].discard(u)
            adj[u].add(w)
            adj[w].add(u)
    src = [u for u in range(base.n) for v in adj[u] if u < v]
    dst = [v for u in range(base.n) for v in adj[u] if u < v]
    return _build(base.n, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                  f"watts_strogatz({n}, {k}, {p:g})")


def from_edges(edges: Any, n: int | None = None) -> Graph:
    """The undirected graph of an edge list.

    Parameters
    ----------
    edges : array_like of int, shape (m, 2)
        Pairs of nodes ``0 .. n-1``; ``(i, j)`` and ``(j, i)`` are the same edge, and a
        repeated edge counts once.
    n : int, optional
        Number of nodes (default: one more than the largest node named; more leaves nodes
        isolated).

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For a self-loop, a negative node, a node ``>= n``, or a shape other than (m, 2).
    TypeError
        For entries that are not integers.
    """
    e = np.asarray(edges)
    if e.size == 0:
        e = e.reshape(0, 2)
    if e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"edges must have shape (m, 2), got {e.shape}")
    if e.dtype.kind not in "iu":
        if e.dtype.kind == "f" and np.all(e == np.round(e)):
            e = e.astype(np.int64)
        else:
            raise TypeError(f"edges must hold integer node numbers, got dtype {e.dtype}")
    e = e.astype(np.int64)
    if (e < 0).any():
        raise ValueError("edges must name nodes >= 0")
    largest = int(e.max()) + 1 if e.size else 0
    n = largest if n is None else _nodes(n, "n", 1)
    if n < 1:
        raise ValueError("edges is empty; give n")
    if largest > n:
        raise ValueError(f"edges name node {largest - 1}, beyond n = {n}")
    return _build(n, e[:, 0], e[:, 1], f"from_edges({n})")


def from_adjacency(matrix: Any) -> Graph:
    """The undirected graph of a symmetric adjacency matrix (dense, or scipy sparse).

    Any non-zero entry ``(i, j)`` is an edge; its weight is ignored.

    Parameters
    ----------
    matrix : array_like or scipy.sparse matrix, shape (n, n)
        Symmetric, with a zero diagonal.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        For a matrix that is not square, not symmetric, or has a non-zero diagonal entry (a
        self-loop).
    """
    if hasattr(matrix, "tocoo"):  # scipy sparse, without importing scipy
        coo = matrix.tocoo()
        shape = coo.shape
        nz = np.asarray(coo.data) != 0
        i, j = np.asarray(coo.row)[nz], np.asarray(coo.col)[nz]
    else:
        a = np.asarray(matrix)
        shape = a.shape
        if a.ndim != 2:
            raise ValueError(f"matrix must be square (n, n), got shape {shape}")
        i, j = np.nonzero(a)
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
        raise ValueError(f"matrix must be square (n, n), got shape {shape}")
    pairs = set(zip(i.tolist(), j.tolist(), strict=True))
    asym = [(a, b) for a, b in pairs if (b, a) not in pairs]
    if asym:
        raise ValueError(f"matrix must be symmetric (an undirected graph); ({asym[0][0]}, "
                         f"{asym[0][1]}) has no reverse edge")
    return _build(int(shape[0]), i, j, f"from_adjacency({shape[0]})", what="matrix")


def from_networkx(g: Any) -> Graph:
    """The graph of a networkx graph, its nodes numbered in ``g``'s node order.

    Parameters
    ----------
    g : networkx.Graph
        An undirected graph (a ``MultiGraph``'s repeated edges count once); edge attributes
        are ignored.

    Returns
    -------
    Graph

    Raises
    ------
    TypeError
        For an object without ``nodes`` and ``edges``, or a directed graph.
    ValueError
        For a graph with no nodes or with a self-loop.
    """
    if not hasattr(g, "nodes") or not hasattr(g, "edges"):
        raise TypeError(f"g must be a networkx graph, got {type(g).__name__}")
    if getattr(g, "is_directed", lambda: False)():
        raise TypeError("g must be undirected (g.to_undirected() makes it so)")
    nodes = list(g.nodes())
    if not nodes:
        raise ValueError("g has no nodes")
    number = {v: x for x, v in enumerate(nodes)}
    pairs = [(number[a], number[b]) for a, b in g.edges()]
    e = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return _build(len(nodes), e[:, 0], e[:, 1], f"from_networkx({len(nodes)})", what="g")


def assortment(graph: Graph, states: Any) -> float:
    """The fraction of edges whose two ends hold the same strategy: how much like meets like.

    Strategies placed at random, at frequencies ``x``, give about ``sum_i x_i^2``; clusters
    (cooperators among cooperators) give more.

    Parameters
    ----------
    graph : Graph
        The graph.
    states : array_like of int, shape (n,)
        Every node's strategy (e.g. ``info["states"]`` of :func:`~evopolity.structured`).

    Returns
    -------
    float
        In [0, 1] (NaN for a graph without edges).

    Raises
    ------
    ValueError
        For ``states`` of another length than the number of nodes.
    """
    graph = as_graph(graph)
    s = np.asarray(states)
    if s.shape != (graph.n,):
        raise ValueError(f"states must hold one strategy per node ({graph.n}), got {s.shape}")
    if graph.n_edges == 0:
        return float("nan")
    rows = np.repeat(np.arange(graph.n), graph.degrees)
    return float((s[rows] == s[graph.indices]).mean())


def as_graph(graph: Any, name: str = "graph") -> Graph:
    """A :class:`Graph` from a Graph, a networkx graph or a (scipy sparse) adjacency matrix."""
    if isinstance(graph, Graph):
        return graph
    if hasattr(graph, "nodes") and hasattr(graph, "edges") and not hasattr(graph, "tocoo"):
        return from_networkx(graph)
    if hasattr(graph, "tocoo") or isinstance(graph, np.ndarray):
        return from_adjacency(graph)
    raise TypeError(
        f"{name} must be a Graph (ep.graphs), a networkx graph or an adjacency matrix, got "
        f"{type(graph).__name__}"
    )
