"""From lark's parse tree to the expression tree, applying the naming rule on the way."""

from __future__ import annotations

import math
from dataclasses import replace

from lark import Token, Transformer, v_args

from ._errors import EquationError
from ._indices import free_indices
from ._names import BUILTIN_FUNCTIONS, accented, identifier, primed
from ._tree import (
    Add,
    Call,
    Component,
    Delta,
    Derivative,
    Differentiand,
    Equation,
    Expr,
    Gather,
    Hadamard,
    Identity,
    IndexSum,
    Letter,
    Negate,
    Norm,
    Number,
    Ones,
    Position,
    Power,
    Product,
    Quotient,
    Relation,
    Side,
    Symbol,
    Transpose,
    Variable,
    VectorLiteral,
    walk,
)

_TRANSPOSE = "transpose"
_INVERSE_TRANSPOSE = "inverse transpose"


class _Chain:
    """Factors of one juxtaposition chain with the operator before each (None, ``/`` or
    ``mod``), kept open while the right-recursive grammar builds it and folded left to right
    once complete."""

    def __init__(self, items: list[tuple[str | None, Expr]]) -> None:
        self.items = items

    def fold(self) -> Expr:
        run: list[Expr] = []
        for op, factor in self.items:
            if op == "/":
                run = [Quotient(_product(run), factor, start=run[0].start, end=factor.end)]
            elif op == "mod":
                dividend = _product(run)
                remainder = Call(
                    "mod", (dividend, factor), True, start=run[0].start, end=factor.end
                )
                run = [remainder]
            else:
                run.append(factor)
        return _product(run)


def _product(factors: list[Expr]) -> Expr:
    if len(factors) == 1:
        return factors[0]
    return Product(tuple(factors), start=factors[0].start, end=factors[-1].end)


def _close(item):
    return item.fold() if isinstance(item, _Chain) else item


def _letter(token: Token) -> Letter:
    return Letter(str(token), start=token.start_pos, end=token.end_pos)


@v_args(meta=True)
class _Builder(Transformer):
    """Turns each grammar rule into the node it stands for; ``latex`` is the parsed text."""

    def __init__(self, latex: str) -> None:
        super().__init__()
        self.latex = latex

    # ------------------------------------------------------------ a display
    def start(self, meta, children):
        (rows,) = [c for c in children if isinstance(c, list)]
        return rows

    def rows(self, meta, children):
        return list(children)

    def relation(self, meta, children):
        exprs = [_close(c) for c in children if not isinstance(c, Token)]
        sides = tuple(Side(expr=e, text=self.latex[e.start : e.end], offset=e.start) for e in exprs)
        mode = _mode(exprs)
        relation = Relation(
            sides=sides,
            mode=mode,
            free=free_indices(exprs[0]),
            text=self.latex[meta.start_pos : meta.end_pos],
            offset=meta.start_pos,
        )
        for expr in exprs:
            for node in walk(expr):
                if isinstance(node, Derivative):
                    object.__setattr__(node.numerator, "relation", relation)
        return relation

    # ------------------------------------------------------------ sums and products
    def add(self, meta, children):
        left, _, right = (_close(c) for c in children)
        return _add(left, _close(right), meta)

    def subtract(self, meta, children):
        left, minus, right = (_close(c) for c in children)
        negated = Negate(right, start=minus.start_pos, end=right.end)
        return _add(left, negated, meta)

    def negate(self, meta, children):
        minus, operand = children
        return Negate(_close(operand), start=minus.start_pos, end=meta.end_pos)

    def hadamard(self, meta, children):
        left, _, right = children
        return Hadamard(_close(left), _close(right), start=meta.start_pos, end=meta.end_pos)

    def product(self, meta, children):
        factor, *op, rest = children
        items = [(None, _close(factor))]
        first = ("mod" if op[0].type == "BMOD" else "/") if op else None
        if isinstance(rest, _Chain):
            (_, head), *tail = rest.items
            items += [(first, head), *tail]
        else:
            items.append((first, rest))
        return _Chain(items)

    def index_sum(self, meta, children):
        _, letters, *bound, body = children
        if bound:
            _check_bound(letters, bound[0])
        return IndexSum(tuple(letters), _close(body), start=meta.start_pos, end=meta.end_pos)

    def sum_index(self, meta, children):
        letters = [_letter(t) for t in children if t.type == "LETTER"]
        numbers = [t for t in children if t.type == "NUMBER"]
        if numbers and (len(letters) > 1 or str(numbers[0]) != "1"):
            raise EquationError(
                "a sum's lower bound must be 1 (the sum runs over the whole range of its index)",
                numbers[0].start_pos,
            )
        seen = set()
        for letter in letters:
            if letter.letter in seen:
                raise EquationError(f"index {letter.letter} is summed twice", letter.start)
            seen.add(letter.letter)
        return letters

    def sum_bound(self, meta, children):
        return children[0]

    def derivative_of(self, meta, children):
        variable, operand = children
        operand = _close(operand)
        numerator = self._differentiand(operand)
        return Derivative(numerator, variable, start=meta.start_pos, end=meta.end_pos)

    def call_bare(self, meta, children):
        function, *power, argument = children
        call = Call(
            identifier(function),
            (_close(argument),),
            True,
            start=meta.start_pos,
            end=meta.end_pos,
        )
        return _apply_powers(call, power[0]) if power else call

    # ------------------------------------------------------------ factors and powers
    def powered(self, meta, children):
        base, exponents = children
        return _apply_powers(_close(base), exponents, end=meta.end_pos)

    def power(self, meta, children):
        if isinstance(children[0], list):
            return [*children[0], _close(children[1])]
        return [_close(children[0])]

    def number(self, meta, children):
        (token,) = children
        return Number(float(token), start=token.start_pos, end=token.end_pos)

    def pi(self, meta, children):
        return Number(math.pi, start=meta.start_pos, end=meta.end_pos)

    def symbol_letter(self, meta, children):
        (token,) = children
        return self.symbol(meta, [token])

    def transpose(self, meta, children):
        return _TRANSPOSE

    def inverse_transpose(self, meta, children):
        return _INVERSE_TRANSPOSE

    def delta(self, meta, children):
        _, subscript = children
        suffix, indices = _split_subscript(subscript)
        if suffix or len(indices) != 2 or any(isinstance(i, Position) for i in indices):
            raise EquationError("\\delta takes two indices", meta.start_pos)
        return Delta(tuple(indices), start=meta.start_pos, end=meta.end_pos)

    def ones(self, meta, children):
        letters = _plain_letters(children[1], "\\mathbf{1}") if len(children) > 1 else []
        return Ones(tuple(letters), start=meta.start_pos, end=meta.end_pos)

    def identity(self, meta, children):
        return Identity(start=meta.start_pos, end=meta.end_pos)

    def group(self, meta, children):
        inner = _close(children[1])
        return replace(inner, start=meta.start_pos, end=meta.end_pos)

    def component(self, meta, children):
        operand, subscript = children
        letters = _plain_letters(subscript, "a component")
        return Component(_close(operand), tuple(letters), start=meta.start_pos, end=meta.end_pos)

    def vector(self, meta, children):
        items = tuple(_close(c) for c in children if not isinstance(c, Token))
        return VectorLiteral(items, start=meta.start_pos, end=meta.end_pos)

    def fraction(self, meta, children):
        _, numerator, denominator = children
        return Quotient(
            _close(numerator), _close(denominator), start=meta.start_pos, end=meta.end_pos
        )

    def derivative(self, meta, children):
        _, operator, numerator, _, variable = children
        variable = replace(variable, total=operator.type != "PARTIAL")
        numerator = self._differentiand(_close(numerator))
        return Derivative(numerator, variable, start=meta.start_pos, end=meta.end_pos)

    def derivative_operator(self, meta, children):
        _, operator, _, variable = children
        return replace(variable, total=operator.type != "PARTIAL")

    def restricted(self, meta, children):
        _, derivative, _, _, name = children
        variable = replace(derivative.denominator, via=_name_of(name))
        return Derivative(derivative.numerator, variable, start=meta.start_pos, end=meta.end_pos)

    def square_root(self, meta, children):
        return Call("sqrt", (_close(children[1]),), True, start=meta.start_pos, end=meta.end_pos)

    def norm(self, meta, children):
        _, operand, _, kind = children
        if str(kind) not in ("F", "2"):
            raise EquationError(
                f"\\lVert \\rVert_{kind} is not a norm of the notation (F or 2)", kind.start_pos
            )
        return Norm(_close(operand), str(kind), start=meta.start_pos, end=meta.end_pos)

    def absolute(self, meta, children):
        return Call("abs", (_close(children[1]),), True, start=meta.start_pos, end=meta.end_pos)

    def floor(self, meta, children):
        return Call("floor", (_close(children[1]),), True, start=meta.start_pos, end=meta.end_pos)

    def boxed(self, meta, children):
        return _close(children[1])

    # ------------------------------------------------------------ symbols and indices
    def symbol(self, meta, children):
        name, *subscript = children
        name = _name_of(name)
        indices: list = []
        if subscript:
            suffix, indices = _split_subscript(subscript[0])
            name += suffix
        if name == "e" and not indices:
            return Number(math.e, start=meta.start_pos, end=meta.end_pos)
        return Symbol(name, tuple(indices), start=meta.start_pos, end=meta.end_pos)

    def accented(self, meta, children):
        accent, base = children
        return accented(str(accent), str(base))

    def subscript(self, meta, children):
        return list(children)

    def lone_digit(self, meta, children):  # _1 reads as _{1}: one form for both
        return [self.position(meta, children)]

    def position(self, meta, children):
        return Position(int(children[0]), start=meta.start_pos, end=meta.end_pos)

    def gather(self, meta, children):
        name, *letters = children
        symbol = Symbol(
            str(name), tuple(_letter(t) for t in letters), start=meta.start_pos, end=meta.end_pos
        )
        return Gather(symbol, start=meta.start_pos, end=meta.end_pos)

    def variable(self, meta, children):
        name, *subscript = children
        name = _name_of(name)
        letters: list = []
        if subscript:
            suffix, letters = _split_subscript(subscript[0])
            name += suffix
            if any(isinstance(item, (Gather, Position)) for item in letters):
                raise EquationError("a derivative is taken by a plain index", meta.start_pos)
            if len({letter.letter for letter in letters}) != len(letters):
                raise EquationError("a derivative is taken by distinct indices", meta.start_pos)
        return Variable(
            name,
            tuple(letters),
            text=self.latex[meta.start_pos : meta.end_pos],
            start=meta.start_pos,
            end=meta.end_pos,
        )

    # ------------------------------------------------------------ functions
    def call_builtin(self, meta, children):
        function, *rest = children
        power = rest[0] if len(rest) == 2 else None
        args = rest[-1] if isinstance(rest[-1], tuple) else (_close(rest[-1]),)
        call = Call(identifier(function), args, True, start=meta.start_pos, end=meta.end_pos)
        return _apply_powers(call, power) if power else call

    def call_bound(self, meta, children):
        callee, args = children
        primes = str(callee).count("'")
        name = identifier(str(callee).rstrip("'"))
        if name == "L":
            raise EquationError(
                "the loss L is a number, not a function: L(...) is not supported",
                callee.start_pos,
            )
        return Call(primed(name, primes), args, False, start=meta.start_pos, end=meta.end_pos)

    def call_operator(self, meta, children):
        operator, *rest = children
        name = str(operator)[len("\\operatorname{") : -1]
        primes = sum(1 for c in rest if isinstance(c, Token) and c.type == "PRIME")
        subscripts = [c for c in rest if isinstance(c, list)]
        if subscripts:
            suffix = "".join(str(item) for item in subscripts[0] if isinstance(item, Token))
            name = f"{name}_{suffix}"
        name = primed(name, primes)
        argument = rest[-1]
        args = argument if isinstance(argument, tuple) else (_close(argument),)
        builtin = name in BUILTIN_FUNCTIONS
        return Call(name, args, builtin, start=meta.start_pos, end=meta.end_pos)

    def arguments(self, meta, children):
        return tuple(_close(c) for c in children if not isinstance(c, Token))

    # ------------------------------------------------------------ helpers
    def _differentiand(self, expr: Expr) -> Differentiand:
        name = expr.name if isinstance(expr, Symbol) else None
        if isinstance(expr, Symbol):
            plain = [index.letter for index in expr.indices if isinstance(index, Letter)]
            if len(plain) != len(expr.indices) or len(set(plain)) != len(plain):
                raise EquationError(
                    "a differentiated symbol takes distinct plain indices", expr.start
                )
        return Differentiand(
            expr,
            name,
            free_indices(expr),
            name == "L",
            text=self.latex[expr.start : expr.end],
            start=expr.start,
            end=expr.end,
        )


def _add(left: Expr, right: Expr, meta) -> Add:
    terms = left.terms if isinstance(left, Add) and left.start == meta.start_pos else (left,)
    return Add((*terms, right), start=meta.start_pos, end=meta.end_pos)


def _apply_powers(base: Expr, exponents: list, end: int | None = None) -> Expr:
    result = base
    for exponent in exponents:
        stop = end if end is not None else result.end
        if exponent == _TRANSPOSE:
            result = Transpose(result, start=base.start, end=stop)
        elif exponent == _INVERSE_TRANSPOSE:
            minus_one = Number(-1.0, start=stop, end=stop)
            inverse = Power(result, minus_one, start=base.start, end=stop)
            result = Transpose(inverse, start=base.start, end=stop)
        else:
            result = Power(result, exponent, start=base.start, end=stop)
    return result


def _check_bound(letters: list[Letter], bound: Token) -> None:
    if len(letters) != 1 or str(bound) != letters[0].letter.upper():
        summed = ",".join(letter.letter for letter in letters)
        raise EquationError(
            f"the upper bound {bound} of \\sum_{{{summed}}} is not the range of its index "
            "(write the capital of the index, as \\sum_{k=1}^{K})",
            bound.start_pos,
        )


def _name_of(name) -> str:
    if isinstance(name, Token) and name.type == "UPRIGHT":
        return str(name)[len("\\mathrm{") : -1]
    return identifier(str(name))


def _split_subscript(items: list) -> tuple[str, list]:
    """A subscript either names a variant (``_{\\text{flat}}``, ``_1``) or lists indices."""
    if len(items) == 1 and isinstance(items[0], Position):  # _1 or _{1}
        return f"_{items[0].value}", []
    texts = [item for item in items if isinstance(item, Token) and item.type == "TEXT"]
    if texts:
        if len(texts) != len(items):
            raise EquationError("a subscript mixes \\text and indices", texts[0].start_pos)
        return "_" + "".join(str(t)[str(t).index("{") + 1 : -1] for t in texts), []
    indices = [_letter(item) if isinstance(item, Token) else item for item in items]
    for index in indices:
        if isinstance(index, Letter) and not index.letter.islower():
            raise EquationError(
                f"index {index.letter} is upper-case; index letters are lower-case", index.start
            )
    return "", indices


def _plain_letters(items: list, what: str) -> list[Letter]:
    suffix, indices = _split_subscript(items)
    if suffix or any(isinstance(index, (Gather, Position)) for index in indices):
        first = items[0]
        start = getattr(first, "start_pos", None)
        raise EquationError(f"{what} takes plain index letters", getattr(first, "start", start))
    return indices


def _mode(exprs: list[Expr]) -> str:
    """Index notation if any index is written; else scalar notation if a floor or a remainder
    appears (integer arithmetic on sizes: I, R and K are numbers there, not matrices); else matrix
    notation if any matrix appears."""
    nodes = [node for expr in exprs for node in walk(expr)]
    if any(isinstance(node, Letter) for node in nodes):
        return "index"
    if any(isinstance(node, Call) and node.function in ("floor", "mod") for node in nodes):
        return "scalar"
    for node in nodes:
        if isinstance(node, Transpose | Identity | Ones | Hadamard | Norm):
            return "matrix"
        if isinstance(node, Symbol) and node.name[0].isupper():
            return "matrix"
        if isinstance(node, Call) and node.function in ("tr", "diag"):
            return "matrix"
        if isinstance(node, Derivative) and node.denominator.name[0].isupper():
            return "matrix"
    return "scalar"


def build(tree, latex: str) -> Equation:
    """The ``Equation`` of a parse tree of ``latex``."""
    relations = _Builder(latex).transform(tree)
    return Equation(latex=latex, relations=tuple(relations))
