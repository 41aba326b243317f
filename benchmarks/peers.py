"""The peers: torch.autograd.gradcheck and jax.test_util.check_grads, judging the catalogue's VJP.

Neither peer differentiates anything itself: the forward is the catalogue's numpy function and
the backward its numpy VJP, wrapped as a custom backward (``torch.autograd.Function``;
``jax.custom_vjp`` calling numpy through ``jax.pure_callback``), so every checker judges the
same claimed gradient at the same inputs. Needs torch and jax (``bash benchmarks/run``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import torch
from jax.test_util import check_grads
from torch.autograd.gradcheck import GradcheckError

from .sharpness import CheckerSpec, Problem, claimed_gradients

jax.config.update("jax_enable_x64", True)


def _torch_function(problem: Problem):
    f, vjp, wrt, constants = problem.case.f, problem.case.vjp, problem.wrt, problem.constants

    def arrays(tensors) -> dict[str, np.ndarray]:
        return {name: t.detach().numpy() for name, t in zip(wrt, tensors, strict=True)}

    class Claimed(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return torch.from_numpy(np.array(f(**constants, **arrays(xs))))

        @staticmethod
        def backward(ctx, g):
            out = vjp(g.detach().numpy().copy(), **constants, **arrays(ctx.saved_tensors))
            # np.array keeps the claimed dtype: a float32 claim reaches torch as float32.
            return tuple(torch.from_numpy(np.array(gr)) for gr in claimed_gradients(out, wrt))

    return Claimed.apply


def _gradcheck(fast_mode: bool):
    def run(problem: Problem) -> None:
        values = problem.values
        inputs = tuple(torch.from_numpy(values[n].copy()).requires_grad_(True) for n in problem.wrt)
        torch.autograd.gradcheck(_torch_function(problem), inputs, fast_mode=fast_mode)

    return run


def _jax_function(problem: Problem):
    f, vjp, wrt, constants = problem.case.f, problem.case.vjp, problem.wrt, problem.constants
    y = np.asarray(f(**constants, **{n: problem.values[n].copy() for n in wrt}))
    out_struct = jax.ShapeDtypeStruct(y.shape, np.float64)
    grad_structs = tuple(jax.ShapeDtypeStruct(problem.values[n].shape, np.float64) for n in wrt)

    def named(xs: tuple[Any, ...]) -> dict[str, np.ndarray]:
        return {n: np.array(x) for n, x in zip(wrt, xs, strict=True)}

    def numpy_vjp(g: Any, *xs: Any) -> tuple[np.ndarray, ...]:
        out = vjp(np.array(g), **constants, **named(xs))
        # np.asarray keeps the claimed dtype: pure_callback decides what to do with float32.
        return tuple(np.asarray(gr) for gr in claimed_gradients(out, wrt))

    @jax.custom_vjp
    def claimed(*xs):
        forward = lambda *xs: np.asarray(f(**constants, **named(xs)))  # noqa: E731
        return jax.pure_callback(forward, out_struct, *xs)

    def backward(xs, g):
        return tuple(jax.pure_callback(numpy_vjp, grad_structs, g, *xs))

    claimed.defvjp(lambda *xs: (claimed(*xs), xs), backward)
    return claimed


def _check_grads(problem: Problem) -> None:
    args = tuple(jnp.asarray(problem.values[name]) for name in problem.wrt)
    check_grads(_jax_function(problem), args, order=1, modes=("rev",))


SPECS = (
    # the full Jacobian by central differences (eps 1e-6), atol 1e-5, rtol 1e-3; it also
    # re-runs the backward (nondet_tol 0)
    CheckerSpec("gradcheck", "`torch.autograd.gradcheck`", _gradcheck(False), (GradcheckError,)),
    # one random projection by central differences (eps 1e-6), atol 1e-5, rtol 1e-3
    CheckerSpec("gradcheck-fast", "`torch.autograd.gradcheck(fast_mode=True)`", _gradcheck(True),
                (GradcheckError,)),
    # one random direction by central differences (eps 1e-4), atol = rtol = 1e-5 in float64;
    # every check wraps a new function, which jax compiles and keeps: drop them after each case
    CheckerSpec("check_grads", '`jax.test_util.check_grads(order=1, modes=("rev",))`',
                _check_grads, (AssertionError,), reset=jax.clear_caches),
)  # fmt: skip
