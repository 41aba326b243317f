"""Loaded at start-up by derivation processes in the mutation test (via PYTHONPATH).

It makes every claimed result slightly wrong before the checks see it, to prove that
every derivation block of the site has checks that catch such an error: one element of
a VJP is off by 1e-6 * sum(g) (linear in g, so only the numerical comparison can
catch it), one element of a Jacobian or of an identity's right side by 1e-6 of the
largest magnitude.
"""

import numpy as np

import derivations

_check, _check_jacobian, _check_identity = (
    derivations.check,
    derivations.check_jacobian,
    derivations.check_identity,
)


def _nudge_array(value, amount):
    out = np.array(value, dtype=np.float64, copy=True)
    if out.size:
        out.flat[0] += amount(out)
    return out


def _nudge(claimed, amount):
    if isinstance(claimed, dict):
        first = next(iter(claimed))
        return {k: _nudge_array(v, amount) if k == first else v for k, v in claimed.items()}
    if isinstance(claimed, (tuple, list)):
        return type(claimed)([_nudge_array(claimed[0], amount), *claimed[1:]])
    return _nudge_array(claimed, amount)


def check(f, vjp, **kwargs):
    def nudged(g, **inputs):
        return _nudge(vjp(g, **inputs), lambda out: 1e-6 * float(np.sum(g)))

    return _check(f, nudged, **kwargs)


def check_jacobian(f, jacobian, **kwargs):
    def nudged(**inputs):
        return _nudge(jacobian(**inputs), lambda out: 1e-6 * (float(np.max(np.abs(out))) or 1.0))

    return _check_jacobian(f, nudged, **kwargs)


def check_identity(lhs, rhs, **kwargs):
    def nudged(**inputs):
        value = np.asarray(rhs(**inputs), dtype=np.float64)
        scale = max(
            float(np.max(np.abs(value), initial=0.0)),
            float(np.max(np.abs(np.asarray(lhs(**inputs), dtype=np.float64)), initial=0.0)),
            1.0,
        )
        out = value.copy()
        out.flat[0] += 1e-6 * scale
        return out

    return _check_identity(lhs, nudged, **kwargs)


derivations.check = check
derivations.check_jacobian = check_jacobian
derivations.check_identity = check_identity
