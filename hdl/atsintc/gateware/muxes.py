"""Small combinational helpers shared by the controller's components."""

from amaranth.hdl import Cat, Const, Mux

__all__ = ["any_of", "and_or", "onehot_mux"]


def any_of(terms):
    """OR of 1-bit ``terms`` (0 if there are none)."""
    terms = list(terms)
    return Cat(*terms).any() if terms else Const(0)


def and_or(terms, width):
    """OR of ``Mux(cond, value, 0)`` over ``(cond, value)`` terms (mutually exclusive
    conditions: a flat AND-OR mux instead of a priority chain)."""
    out = Const(0, width)
    for cond, value in terms:
        out = out | Mux(cond, value, 0)
    return out


def onehot_mux(sel_oh, values, width):
    """``values[i]`` where ``sel_oh[i]``: an AND-OR mux for a one-hot select."""
    return and_or([(sel_oh[i], v) for i, v in enumerate(values)], width)
