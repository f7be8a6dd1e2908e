"""Graph builders and converters (ep.graphs): degrees, edge counts, symmetry, connectivity,
against hand-built cases and, where networkx is installed, against networkx."""

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.graphs import Graph, _pair_of_index, as_graph

g = ep.graphs


def _symmetric_simple(G: Graph) -> None:
    """CSR invariants: sorted rows, no self-loops, no repeats, every edge in both rows."""
    assert G.indptr[0] == 0 and G.indptr[-1] == G.indices.size and G.indptr.size == G.n + 1
    pairs = set()
    for i in range(G.n):
        row = G.neighbours(i)
        assert (np.diff(row) > 0).all()  # sorted, no repeated edge
        assert i not in row
        pairs |= {(i, int(j)) for j in row}
    assert all((j, i) in pairs for i, j in pairs)
    assert G.degrees.sum() == 2 * G.n_edges


def test_von_neumann_lattice_by_hand():
    G = g.lattice(3)
    # node 4 (centre of 3x3) touches 1, 3, 5, 7; node 0 wraps to 2 (left) and 6 (up)
    assert G.neighbours(4).tolist() == [1, 3, 5, 7]
    assert G.neighbours(0).tolist() == [1, 2, 3, 6]
    assert G.n == 9 and G.n_edges == 18 and G.is_regular() and G.is_connected()
    _symmetric_simple(G)


def test_moore_and_bounded_lattices():
    M = g.lattice(5, "moore")
    assert (M.degrees == 8).all() and M.n_edges == 25 * 4
    assert M.neighbours(0).tolist() == [1, 4, 5, 6, 9, 20, 21, 24]
    B = g.lattice(4, periodic=False)
    # corners 2, edge nodes 3, inner 4: 2 * 4 * 3 = 24 edges
    assert sorted(set(B.degrees.tolist())) == [2, 3, 4] and B.n_edges == 24
    Bm = g.lattice(3, "moore", periodic=False)
    assert Bm.degrees[4] == 8 and Bm.degrees[0] == 3 and Bm.n_edges == 20
    for G in (M, B, Bm):
        _symmetric_simple(G)


def test_ring_complete_star():
    R = g.ring(7, 4)
    assert R.neighbours(0).tolist() == [1, 2, 5, 6] and R.n_edges == 14
    C = g.complete(6)
    assert C.n_edges == 15 and (C.degrees == 5).all()
    S = g.star(5)
    assert S.degrees.tolist() == [4, 1, 1, 1, 1] and S.neighbours(3).tolist() == [0]
    assert not S.is_regular() and S.is_connected()
    for G in (R, C, S):
        _symmetric_simple(G)


def test_random_builders_degrees_and_edges_and_seeds():
    rr = g.random_regular(50, 3, seed=1)
    assert (rr.degrees == 3).all() and rr.n_edges == 75
    er = g.erdos_renyi(200, 0.05, seed=2)
    # the edge count is Binomial(19900, 0.05): mean 995, sd 30.7
    assert abs(er.n_edges - 995) < 5 * 30.7
    ba = g.barabasi_albert(100, 3, seed=3)
    assert ba.n_edges == 3 * 97 and ba.degrees.min() == 3 and ba.is_connected()
    ws = g.watts_strogatz(40, 4, 0.2, seed=4)
    assert ws.n_edges == 80
    for G in (rr, er, ba, ws):
        _symmetric_simple(G)
    # the same seed, the same graph; another seed, another one
    assert np.array_equal(g.erdos_renyi(200, 0.05, seed=2).indices, er.indices)
    assert not np.array_equal(g.random_regular(50, 3, seed=9).indices, rr.indices)
    # p = 0: the ring itself; p = 1 in G(n, p): the complete graph
    assert np.array_equal(g.watts_strogatz(10, 2, 0.0, seed=1).indices, g.ring(10).indices)
    assert g.erdos_renyi(12, 1.0, seed=0).n_edges == 66


def test_pair_index_inverts_row_major_order():
    n = 9
    i, j = np.triu_indices(n, 1)
    a, b = _pair_of_index(np.arange(i.size, dtype=np.int64), n)
    assert np.array_equal(a, i) and np.array_equal(b, j)


def test_converters_agree():
    edges = [(0, 1), (1, 2), (2, 0), (2, 3), (1, 0)]  # (1, 0) repeats (0, 1)
    E = g.from_edges(edges)
    assert E.n == 4 and E.n_edges == 4 and E.degrees.tolist() == [2, 2, 3, 1]
    A = np.zeros((4, 4))
    for a, b in edges:
        A[a, b] = A[b, a] = 1
    assert np.array_equal(g.from_adjacency(A).indices, E.indices)
    sparse = pytest.importorskip("scipy.sparse")
    assert np.array_equal(g.from_adjacency(sparse.csr_matrix(A)).indices, E.indices)
    assert np.array_equal(as_graph(sparse.csr_matrix(A)).indices, E.indices)
    assert g.from_edges(edges, n=6).degrees.tolist() == [2, 2, 3, 1, 0, 0]
    assert g.from_edges(edges, n=6).components() == 3


def test_bad_graphs_are_refused_by_name():
    with pytest.raises(ValueError, match="self-loops"):
        g.from_edges([(0, 1), (2, 2)])
    with pytest.raises(ValueError, match="symmetric"):
        g.from_adjacency([[0, 1], [0, 0]])
    with pytest.raises(ValueError, match="self-loops"):
        g.from_adjacency(np.eye(3))
    with pytest.raises(ValueError, match="k must be even"):
        g.ring(10, 3)
    with pytest.raises(ValueError, match="n must exceed"):
        g.ring(4, 4)
    with pytest.raises(ValueError, match="side"):
        g.lattice(2)
    with pytest.raises(ValueError, match="neighbourhood"):
        g.lattice(5, "hex")
    with pytest.raises(ValueError, match="n \\* d must be even"):
        g.random_regular(5, 3)
    with pytest.raises(ValueError, match="beyond n"):
        g.from_edges([(0, 5)], n=3)
    with pytest.raises(TypeError, match="graph"):
        as_graph("lattice")


def test_against_networkx():
    nx = pytest.importorskip("networkx")
    ours = {
        "lattice": (g.lattice(6), nx.grid_2d_graph(6, 6, periodic=True)),
        "bounded": (g.lattice(5, periodic=False), nx.grid_2d_graph(5, 5)),
        "ring": (g.ring(12, 4), nx.watts_strogatz_graph(12, 4, 0.0)),
        "complete": (g.complete(7), nx.complete_graph(7)),
        "star": (g.star(8), nx.star_graph(7)),
    }
    for label, (G, H) in ours.items():
        # same degree sequence and the same graph up to relabelling
        assert sorted(G.degrees.tolist()) == sorted(d for _, d in H.degree()), label
        mine = nx.Graph()
        mine.add_nodes_from(range(G.n))
        mine.add_edges_from(G.edges().tolist())
        assert nx.is_isomorphic(mine, H), label
    # networkx -> ours keeps the node order and the edges
    H = nx.barabasi_albert_graph(40, 2, seed=1)
    G = g.from_networkx(H)
    assert G.n_edges == H.number_of_edges()
    assert {tuple(e) for e in G.edges().tolist()} == {tuple(sorted(e)) for e in H.edges()}
    assert G.is_connected() == nx.is_connected(H)
    two = nx.disjoint_union(nx.cycle_graph(4), nx.cycle_graph(5))
    assert g.from_networkx(two).components() == nx.number_connected_components(two) == 2
    with pytest.raises(ValueError, match="self-loops"):
        g.from_networkx(nx.Graph([(0, 0), (0, 1)]))
    with pytest.raises(TypeError, match="undirected"):
        g.from_networkx(nx.DiGraph([(0, 1)]))


def test_assortment_by_hand():
    G = g.ring(6)  # edges 01 12 23 34 45 50
    assert g.assortment(G, [0, 0, 0, 1, 1, 1]) == pytest.approx(4 / 6)
    assert g.assortment(G, [0, 1, 0, 1, 0, 1]) == 0.0
    assert g.assortment(G, [2] * 6) == 1.0
    with pytest.raises(ValueError, match="states"):
        g.assortment(G, [0, 1])
