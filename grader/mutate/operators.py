"""Mutation operators: small, realistic mistakes written into the solution blocks of a reference.

Each operator looks at one AST node of a solution block (never outside the blocks: the code
students write) and proposes replacements that model a mistake seen in student code: a sum over
the wrong axis, a dropped term, a flipped sign, an off-by-one in a range or a slice, a missing
division, the wrong statistic, a dropped transpose, an in-place write into an input, a constant or
an input returned, a skipped branch or statement, a changed comparison.

A proposal is a token-precise text edit (only the source of the node changes, so a mutant's diff
reads like a student's edit) together with the AST it must produce; `generate` keeps it only if
the edited file parses to exactly that AST (else it retries with parentheses, else drops it), so
a mutant is always the one mutation it claims to be.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from dataclasses import dataclass
from typing import Callable, Iterator

# operator name -> what it models (the report's legend, docs/mutate.md)
OPERATORS: dict[str, str] = {
    "axis": "a reduction over another axis, over every axis, or without keepdims",
    "term": "a term of a sum or difference dropped",
    "sign": "a sign flipped (+ and -, a unary minus dropped)",
    "off_by_one": "an integer, a range bound or a slice bound off by one (stride, padding, ranges)",
    "division": "a division dropped, or a mean taken as a sum (a missing division by N)",
    "factor": "a factor of a product or a power dropped",
    "statistics": "the wrong statistic: sqrt dropped, var and std, max and min, a sum for a mean, ddof=1",
    "transpose": "a transpose dropped or two axes of a transpose swapped",
    "reshape": "a reshape dropped",
    "inplace": "an in-place write into an input (x -= ..., a .copy() dropped)",
    "constant": "an output set to zeros (a constant returned)",
    "input": "an output set to an input (an input returned)",
    "branch": "a branch always or never taken",
    "comparison": "a comparison changed (< and <=, < and >, == and !=)",
    "statement": "a statement skipped (an update, an accumulation, a write)",
}

# Plain-language names of the mistakes (hints show these, never the reference's code).
PLAIN: dict[str, str] = {
    "axis": "a reduction over the wrong axes",
    "term": "a term left out",
    "sign": "a sign flipped",
    "off_by_one": "an off-by-one (in an index, a range, a stride or a padding)",
    "division": "a missing division (e.g. by the batch size)",
    "factor": "a factor left out",
    "statistics": "the wrong statistic",
    "transpose": "a missing or wrong transpose",
    "reshape": "a missing reshape",
    "inplace": "an input modified in place",
    "constant": "an output left at zero",
    "input": "an input returned as the output",
    "branch": "a branch taken when it should not be (or the reverse)",
    "comparison": "the wrong comparison",
    "statement": "a step skipped",
}

REDUCTIONS = {"sum", "mean", "max", "min", "var", "std", "argmax", "argmin", "prod", "nanmean", "nansum", "amax",
              "amin", "median", "all", "any"}
STAT_SWAPS = {"var": "std", "std": "var", "max": "min", "min": "max", "argmax": "argmin", "argmin": "argmax",
              "amax": "amin", "amin": "amax", "maximum": "minimum", "minimum": "maximum", "sum": "mean"}
NUMPY_NAMES = {"np", "numpy"}
SKIP_INT_KEYWORDS = {"axis", "axes", "keepdims", "ddof", "dtype", "copy"}
COMPARE_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
OP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
           ast.MatMult: "@", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
           ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


# ----------------------------------------------------------------------------- source positions


class Source:
    """A file's text with AST positions (UTF-8 byte columns) turned into character offsets."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="replace"))

    def span(self, node) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node) -> str:
        s, e = self.span(node)
        return self.text[s:e]

    def line_span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets of whole lines first..last (1-based, inclusive, with the final newline)."""
        return self.starts[first - 1], self.starts[last]


@dataclass
class Proposal:
    """One mutation: replace text[start:end] by `text`; `apply(tree)` makes the AST it must give
    (and returns an undo); `old`/`new` are short snippets for the description."""

    operator: str
    start: int
    end: int
    text: str
    apply: Callable[[], Callable[[], None]]
    old: str
    new: str
    wrap: bool = True  # may be retried with parentheses around `text`


def _replace_node(parent, field_name, index, new_node) -> Callable[[], Callable[[], None]]:
    """An `apply` swapping parent.field[index] (index None: a plain field) for new_node."""

    def apply():
        if index is None:
            old = getattr(parent, field_name)
            setattr(parent, field_name, new_node)
            return lambda: setattr(parent, field_name, old)
        seq = getattr(parent, field_name)
        old = seq[index]
        seq[index] = new_node
        return lambda: seq.__setitem__(index, old)

    return apply


def _replace_stmts(parent, field_name, index, new_stmts) -> Callable[[], Callable[[], None]]:
    """An `apply` replacing statement parent.field[index] by the list new_stmts."""

    def apply():
        seq = getattr(parent, field_name)
        saved = list(seq)
        seq[index:index + 1] = new_stmts
        return lambda: seq.__setitem__(slice(None), saved)

    return apply


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _is_numpy(node) -> bool:
    return isinstance(node, ast.Name) and node.id in NUMPY_NAMES


def _call_name(call: ast.Call) -> tuple[str | None, bool]:
    """(method or numpy function name, whether it is np.<name>(...)) of a call."""
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr, _is_numpy(f.value)
    if isinstance(f, ast.Name):
        return f.id, False
    return None, False


def _int_const(node) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _op_token(src: Source, left, right, kinds: set[str]) -> tuple[int, int] | None:
    """Offsets of the operator token between two nodes (parentheses skipped)."""
    start, _ = src.span(left)
    _, lend = src.span(left)
    rstart, _ = src.span(right)
    gap = src.text[lend:rstart]
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(gap).readline))
    except (tokenize.TokenError, IndentationError):
        return None
    found = []
    for tok in toks:
        if tok.type in (tokenize.OP, tokenize.NAME) and tok.string in kinds:
            found.append(tok)
    # "is not" / "not in" are two NAME tokens
    if len(found) >= 1:
        first, last = found[0], found[-1]
        line_starts = [0]
        for ln in gap.splitlines(keepends=True):
            line_starts.append(line_starts[-1] + len(ln))
        s = lend + line_starts[first.start[0] - 1] + first.start[1]
        e = lend + line_starts[last.end[0] - 1] + last.end[1]
        return s, e
    return None


# ----------------------------------------------------------------------------- the context of a function


@dataclass
class Site:
    """A node inside a solution block, with its parent and where it sits in the parent."""

    node: ast.AST
    parent: ast.AST
    field: str
    index: int | None


class FunctionContext:
    """What the operators need to know about the function holding the blocks."""

    def __init__(self, func: ast.FunctionDef, src: Source):
        self.func = func
        self.src = src
        params = [a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs]
        self.is_method = bool(params) and params[0] in ("self", "cls")
        self.params = params[1:] if self.is_method else params
        self.inputs = set(self.params)
        # names unpacked from a parameter (x, w, b = cache): they hold the caller's arrays too
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in self.params:
                for t in node.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            self.inputs.add(n.id)
        self.returned: set[str] = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Return) and node.value is not None:
                for n in ast.walk(node.value):
                    if isinstance(n, ast.Name):
                        self.returned.add(n.id)
        self.assigned_lines: dict[str, list[int]] = {}
        for node in ast.walk(func):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                            self.assigned_lines.setdefault(n.id, []).append(node.lineno)
            elif isinstance(node, (ast.For, ast.comprehension)):
                for n in ast.walk(node.target):
                    if isinstance(n, ast.Name):
                        self.assigned_lines.setdefault(n.id, []).append(getattr(node, "lineno", 0))
        self.has_while = any(isinstance(n, ast.While) for n in ast.walk(func))

    def first_input(self) -> str | None:
        return self.params[0] if self.params else None

    def output_target(self, target) -> bool:
        """An assignment target that is (part of) what the function hands back."""
        if isinstance(target, ast.Name):
            return target.id in self.returned
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            return True
        if isinstance(target, (ast.Tuple, ast.List)):
            return any(self.output_target(t) for t in target.elts)
        return False

    def rebinds(self, name: str, lineno: int) -> bool:
        """Whether `name` is bound before line `lineno` (a parameter, or assigned earlier)."""
        return name in self.params or any(line < lineno for line in self.assigned_lines.get(name, []))


# ----------------------------------------------------------------------------- the operators


def _expr_swap(op, src, site, new_node, text, old=None, new=None, wrap=True) -> Proposal:
    s, e = src.span(site.node)
    return Proposal(op, s, e, text, _replace_node(site.parent, site.field, site.index, new_node),
                    _short(old if old is not None else src.segment(site.node)),
                    _short(new if new is not None else text),
                    wrap)


def op_axis(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    if not isinstance(node, ast.Call):
        return
    name, is_np = _call_name(node)
    if name not in REDUCTIONS:
        return
    for i, kw in enumerate(node.keywords):
        if kw.arg == "axis":
            value = kw.value
            choices = []
            if _int_const(value) or (isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
                                     and _int_const(value.operand)):
                k = ast.literal_eval(value)
                choices.append(str(1 if k == 0 else 0))
            elif isinstance(value, ast.Tuple) and len(value.elts) > 1:
                for j in range(len(value.elts)):
                    rest = [src.segment(e) for m, e in enumerate(value.elts) if m != j]
                    choices.append("(" + ", ".join(rest) + ("," if len(rest) == 1 else "") + ")")
            for text in choices:
                new_kw = ast.keyword(arg="axis", value=_parse_expr(text))
                yield _expr_swap("axis", src, Site(value, kw, "value", None), new_kw.value, text,
                                 f"{name}(axis={src.segment(value)})", f"{name}(axis={text})", wrap=False)
            # the axis dropped: a reduction over every axis
            yield _drop_keyword(ctx, node, i, "axis", f"{name}(axis={src.segment(value)})", f"{name}() over every axis")
        elif kw.arg == "keepdims" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
            yield _drop_keyword(ctx, node, i, "axis", f"{name}(..., keepdims=True)", f"{name}(...) without keepdims")


def _drop_keyword(ctx: FunctionContext, call: ast.Call, index: int, op: str, old: str, new: str) -> Proposal:
    """A call with its keyword argument `index` removed (the comma before or after it too)."""
    src = ctx.src
    kw = call.keywords[index]
    args = list(call.args) + list(call.keywords)
    position = len(call.args) + index
    ks, ke = src.span(kw)
    if position > 0:  # remove ", kw" (from the end of the previous argument)
        _, prev_end = src.span(args[position - 1])
        s, e = prev_end, ke
    elif len(args) > 1:  # the first argument: remove "kw, "
        nxt, _ = src.span(args[1])
        s, e = ks, nxt
    else:
        s, e = ks, ke
    new_call_keywords = [k for j, k in enumerate(call.keywords) if j != index]

    def apply():
        saved = call.keywords
        call.keywords = new_call_keywords
        return lambda: setattr(call, "keywords", saved)

    return Proposal(op, s, e, "", apply, _short(old), _short(new), wrap=False)


def _add_keyword(ctx: FunctionContext, call: ast.Call, text: str, op: str, old: str, new: str) -> Proposal:
    src = ctx.src
    s, e = src.span(call)
    close = e - 1  # the call's closing parenthesis
    has_args = bool(call.args or call.keywords)
    insert = (", " if has_args else "") + text
    kw = ast.parse(f"f({text})", mode="eval").body.keywords[0]

    def apply():
        call.keywords.append(kw)
        return lambda: call.keywords.pop()

    return Proposal(op, close, close, insert, apply, _short(old), _short(new), wrap=False)


def op_binop(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    """term, sign, division and factor: the operators of arithmetic."""
    node, src = site.node, ctx.src
    if not isinstance(node, ast.BinOp):
        return
    left, right = src.segment(node.left), src.segment(node.right)
    whole = src.segment(node)
    if isinstance(node.op, (ast.Add, ast.Sub)):
        # sign: + <-> -
        tok = _op_token(src, node.left, node.right, {"+", "-"})
        if tok:
            flipped = "-" if isinstance(node.op, ast.Add) else "+"
            new = ast.BinOp(node.left, ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(), node.right)
            yield Proposal("sign", tok[0], tok[1], flipped, _replace_node(site.parent, site.field, site.index, new),
                           _short(whole), _short(src.text[src.span(node)[0]:tok[0]] + flipped
                                                  + src.text[tok[1]:src.span(node)[1]]), wrap=False)
        # term: a dropped operand
        yield _expr_swap("term", src, site, node.left, left, new=left)
        if isinstance(node.op, ast.Add):
            yield _expr_swap("term", src, site, node.right, right, new=right)
        else:
            neg = ast.UnaryOp(ast.USub(), node.right)
            low = isinstance(node.right, (ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp))
            text = f"-({right})" if low else f"-{right}"
            yield _expr_swap("term", src, site, neg, text)
    elif isinstance(node.op, (ast.Div, ast.FloorDiv)):
        yield _expr_swap("division", src, site, node.left, left)
    elif isinstance(node.op, ast.Mult):
        yield _expr_swap("factor", src, site, node.left, left)
        yield _expr_swap("factor", src, site, node.right, right)
    elif isinstance(node.op, ast.Pow):
        yield _expr_swap("factor", src, site, node.left, left)


def op_unary(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        yield _expr_swap("sign", src, site, node.operand, src.segment(node.operand))


def op_augassign(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    if not isinstance(node, ast.AugAssign) or not isinstance(node.op, (ast.Add, ast.Sub)):
        return
    _, tend = src.span(node.target)
    vstart, _ = src.span(node.value)
    gap = src.text[tend:vstart]
    sym = "+=" if isinstance(node.op, ast.Add) else "-="
    at = gap.find(sym)
    if at < 0:
        return
    flipped = "-=" if sym == "+=" else "+="
    new = ast.AugAssign(node.target, ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(), node.value)
    line = src.segment(node)
    yield Proposal("sign", tend + at, tend + at + 2, flipped, _replace_node(site.parent, site.field, site.index, new),
                   _short(line), _short(line.replace(sym, flipped, 1)), wrap=False)


def _bump(src: Source, site: Site, text: str, node, delta: int) -> Proposal:
    sign = "+" if delta > 0 else "-"
    new_text = f"{text} {sign} 1"
    new = ast.BinOp(node, ast.Add() if delta > 0 else ast.Sub(), ast.Constant(1))
    return _expr_swap("off_by_one", src, site, new, new_text)


def _covered_by_constant(node) -> bool:
    """A bound whose off-by-one the integer operator already makes (k, or a + k)."""
    if _int_const(node):
        return True
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and (
        _int_const(node.left) or _int_const(node.right))


def op_off_by_one(ctx: FunctionContext, site: Site, parents: dict) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_const(node.operand)
    if _int_const(node) and isinstance(parents.get(id(node)), ast.UnaryOp) \
            and isinstance(parents[id(node)].op, ast.USub):
        return  # -k is mutated as a whole
    if _int_const(node) or negative:
        parent = parents.get(id(node))
        while parent is not None and not isinstance(parent, (ast.keyword, ast.stmt)):
            parent = parents.get(id(parent))
        if isinstance(parent, ast.keyword) and parent.arg in SKIP_INT_KEYWORDS:
            return  # axes are the axis operator's
        k = -node.operand.value if negative else node.value
        for v in (k + 1, k - 1):
            text = str(v)
            new = ast.Constant(v) if v >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-v))
            yield _expr_swap("off_by_one", src, site, new, text)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for j, arg in enumerate(node.args):
            if _covered_by_constant(arg) or isinstance(arg, ast.UnaryOp):
                continue
            text = src.segment(arg)
            for delta in (1, -1):
                yield _bump(src, Site(arg, node, "args", j), text, arg, delta)
    if isinstance(node, ast.Slice):
        for field_name in ("lower", "upper"):
            bound = getattr(node, field_name)
            if bound is None or _covered_by_constant(bound) or isinstance(bound, ast.UnaryOp):
                continue
            text = src.segment(bound)
            for delta in (1, -1):
                yield _bump(src, Site(bound, node, field_name, None), text, bound, delta)


def op_calls(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    """statistics, division (mean -> sum), transpose, reshape and inplace (.copy()) on calls."""
    node, src = site.node, ctx.src
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield _expr_swap("transpose", src, site, node.value, src.segment(node.value))
        return
    if not isinstance(node, ast.Call):
        return
    name, is_np = _call_name(node)
    f = node.func
    # np.sqrt(e) -> e
    if name == "sqrt" and is_np and len(node.args) == 1 and not node.keywords:
        inner = src.segment(node.args[0])
        yield _expr_swap("statistics", src, site, node.args[0], inner)
    # a method or numpy function renamed to a neighbouring statistic
    swaps = []
    if name == "mean":
        swaps.append(("division", "sum"))
    if name in STAT_SWAPS:
        swaps.append(("statistics", STAT_SWAPS[name]))
    for op, other in swaps:
        if not isinstance(f, ast.Attribute):
            continue
        vend = src.span(f.value)[1]
        _, fend = src.span(f)
        attr_at = src.text.find(name, vend, fend)
        if attr_at < 0:
            continue
        new_func = ast.Attribute(f.value, other, ast.Load())
        yield Proposal(op, attr_at, attr_at + len(name), other, _replace_node(node, "func", None, new_func),
                       _short(f"{name}(...)"), _short(f"{other}(...)"), wrap=False)
    if name in ("var", "std") and not any(k.arg == "ddof" for k in node.keywords):
        yield _add_keyword(ctx, node, "ddof=1", "statistics", f"{name}(...)", f"{name}(..., ddof=1)")
    # transpose / reshape / copy dropped: the receiver (or the first argument of np.<name>)
    if name in ("transpose", "reshape", "copy", "swapaxes"):
        if isinstance(f, ast.Attribute) and not is_np:
            kept = f.value
        elif is_np and node.args:
            kept = node.args[0]
        else:
            kept = None
        if kept is not None:
            op = {"transpose": "transpose", "swapaxes": "transpose", "reshape": "reshape", "copy": "inplace"}[name]
            yield _expr_swap(op, src, site, kept, src.segment(kept))
    # two axes of an explicit transpose swapped (the last two)
    if name == "transpose" and isinstance(f, ast.Attribute) and not is_np and len(node.args) >= 3 \
            and all(_int_const(a) for a in node.args):
        args = [a.value for a in node.args]
        args[-1], args[-2] = args[-2], args[-1]
        s, _ = src.span(node.args[0])
        _, e = src.span(node.args[-1])
        text = ", ".join(map(str, args))
        new_args = [ast.Constant(a) for a in args]

        def apply(node=node, new_args=new_args):
            saved = node.args
            node.args = new_args
            return lambda: setattr(node, "args", saved)

        yield Proposal("transpose", s, e, text, apply, _short(src.segment(node)), _short(f"transpose({text})"),
                       wrap=False)


def op_compare(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return
    kind = type(node.ops[0])
    tok = _op_token(src, node.left, node.comparators[0], {"<", "<=", ">", ">=", "==", "!=", "is", "not", "in"})
    if tok is None:
        return
    for other in COMPARE_SWAPS.get(kind, ()):
        new = ast.Compare(node.left, [other()], node.comparators)
        text = OP_TEXT[other]
        whole = src.segment(node)
        s0 = src.span(node)[0]
        yield Proposal("comparison", tok[0], tok[1], text, _replace_node(site.parent, site.field, site.index, new),
                       _short(whole), _short(src.text[s0:tok[0]] + text + src.text[tok[1]:src.span(node)[1]]),
                       wrap=False)


def op_branch(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    node, src = site.node, ctx.src
    if isinstance(node, ast.If):
        test = node.test
        for value in (True, False):
            new = ast.Constant(value)
            s, e = src.span(test)
            yield Proposal("branch", s, e, str(value), _replace_node(node, "test", None, new),
                           _short(f"if {src.segment(test)}:"), f"if {value}:", wrap=False)
    elif isinstance(node, ast.IfExp):
        yield _expr_swap("branch", src, site, node.body, src.segment(node.body))
        yield _expr_swap("branch", src, site, node.orelse, src.segment(node.orelse))


def _statement_lines(src: Source, stmt) -> tuple[int, int, str] | None:
    """(start, end, indentation) of the whole lines of a simple statement, or None when it shares
    a line with other code."""
    line = src.lines[stmt.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    if src.offset(stmt.lineno, stmt.col_offset) != src.starts[stmt.lineno - 1] + len(indent):
        return None
    rest = src.lines[stmt.end_lineno - 1][len(src.lines[stmt.end_lineno - 1].encode("utf-8")[:stmt.end_col_offset]
                                              .decode("utf-8", errors="replace")):]
    if rest.strip() and not rest.strip().startswith("#"):
        return None
    s, e = src.line_span(stmt.lineno, stmt.end_lineno)
    return s, e, indent


def op_statement(ctx: FunctionContext, site: Site) -> Iterator[Proposal]:
    """statement (skipped), inplace (x op= ... into an input), constant and input (an output's value)."""
    node, src = site.node, ctx.src
    if not isinstance(node, ast.stmt) or site.index is None:
        return
    lines = _statement_lines(src, node)
    if lines is None:
        return
    s, e, indent = lines
    body = getattr(site.parent, site.field)
    # constant / input: an output's value replaced
    if isinstance(node, ast.Assign) and any(ctx.output_target(t) for t in node.targets) \
            and not any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets):  # (unpacking 0 fails at once)
        value = src.segment(node.value)
        zero = ast.BinOp(ast.Constant(0), ast.Mult(), node.value)
        yield _expr_swap("constant", src, Site(node.value, node, "value", None), zero, f"0 * ({value})",
                         old=src.segment(node), new=f"{_targets_text(src, node)} = 0 * (...)", wrap=False)
        first = ctx.first_input()
        if first is not None and value != first:
            yield _expr_swap("input", src, Site(node.value, node, "value", None), ast.Name(first, ast.Load()), first,
                             old=src.segment(node), new=f"{_targets_text(src, node)} = {first}", wrap=False)
    # inplace: t = P op e  ->  P op= e; t = P   (P an input array)
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.BinOp)
            and isinstance(node.value.op, (ast.Add, ast.Sub, ast.Mult, ast.Div))
            and isinstance(node.value.left, ast.Name) and node.value.left.id in ctx.inputs
            and not (isinstance(node.targets[0], ast.Name) and node.targets[0].id == node.value.left.id)):
        p = node.value.left.id
        sym = OP_TEXT[type(node.value.op)]
        target = src.segment(node.targets[0])
        first = f"{indent}{p} {sym}= {src.segment(node.value.right)}\n"
        second = f"{indent}{target} = {p}\n"
        new_stmts = [ast.AugAssign(ast.Name(p, ast.Store()), type(node.value.op)(), node.value.right),
                     ast.Assign([node.targets[0]], ast.Name(p, ast.Load()))]
        yield Proposal("inplace", s, e, first + second, _replace_stmts(site.parent, site.field, site.index, new_stmts),
                       _short(src.segment(node)), _short(f"{p} {sym}= ...; {target} = {p}"), wrap=False)
    # statement: skipped
    skippable = isinstance(node, ast.AugAssign) or isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    if isinstance(node, ast.Assign):
        names = [t for t in node.targets]
        skippable = all(
            (isinstance(t, ast.Name) and ctx.rebinds(t.id, node.lineno))
            or isinstance(t, (ast.Subscript, ast.Attribute)) for t in names)
    if skippable:
        replacement = f"{indent}pass\n" if len(body) == 1 else ""
        new_stmts = [ast.Pass()] if len(body) == 1 else []
        yield Proposal("statement", s, e, replacement, _replace_stmts(site.parent, site.field, site.index, new_stmts),
                       _short(src.segment(node)), "(skipped)", wrap=False)


def _targets_text(src: Source, node: ast.Assign) -> str:
    return " = ".join(src.segment(t) for t in node.targets)


# ----------------------------------------------------------------------------- walking the blocks


def sites(func: ast.FunctionDef, inside: Callable[[ast.AST], bool]) -> Iterator[Site]:
    """Every node of `func` for which inside(node) holds, with its parent, in source order."""
    found: list[Site] = []

    def visit(parent):
        for field_name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        if inside(child):
                            found.append(Site(child, parent, field_name, i))
                        visit(child)
            elif isinstance(value, ast.AST):
                if inside(value):
                    found.append(Site(value, parent, field_name, None))
                visit(value)

    visit(func)
    found.sort(key=lambda st: (getattr(st.node, "lineno", 0), getattr(st.node, "col_offset", 0)))
    return iter(found)


def proposals(ctx: FunctionContext, inside: Callable[[ast.AST], bool]) -> Iterator[Proposal]:
    """Every proposal of every operator for the nodes `inside` the blocks, operator by operator
    (the order of OPERATORS' keys within one node, nodes in source order)."""
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(ctx.func):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for site in sites(ctx.func, inside):
        yield from op_axis(ctx, site)
        yield from op_binop(ctx, site)
        yield from op_unary(ctx, site)
        yield from op_augassign(ctx, site)
        yield from op_off_by_one(ctx, site, parents)
        yield from op_calls(ctx, site)
        yield from op_compare(ctx, site)
        yield from op_branch(ctx, site)
        yield from op_statement(ctx, site)


def function_dump(tree: ast.Module, name: str, lineno: int) -> str | None:
    """ast.dump of the function called `name` nearest to line `lineno` in `tree`."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            if best is None or abs(node.lineno - lineno) < abs(best.lineno - lineno):
                best = node
    return None if best is None else ast.dump(best)


def realise(src: Source, func: ast.FunctionDef, p: Proposal) -> tuple[str, str] | None:
    """(the file text with proposal `p` applied, the mutated function's ast.dump) if the edited
    function parses to exactly the intended AST; None otherwise. Only the function's own lines
    are parsed (the edit lies inside them)."""
    undo = p.apply()
    try:
        intended = ast.dump(func)
    finally:
        undo()
    first, last = src.line_span(func.lineno, func.end_lineno)
    candidates = [p.text]
    if p.wrap and p.text:
        candidates.append(f"({p.text})")
    for text in candidates:
        snippet = src.text[first: p.start] + text + src.text[p.end: last]
        indented = snippet[:1].isspace()
        try:  # a method stays indented: parsed inside an `if 1:` (dedenting would change its docstring)
            tree = ast.parse("if 1:\n" + snippet if indented else snippet)
        except SyntaxError:
            continue
        body = tree.body[0].body if indented else tree.body
        if len(body) != 1:
            continue
        dump = ast.dump(body[0])
        if dump == intended:
            try:
                compile(tree, "<mutant>", "exec")
            except (SyntaxError, ValueError):
                return None
            return src.text[: p.start] + text + src.text[p.end:], dump
    return None


def copy_tree(tree: ast.Module) -> ast.Module:
    return copy.deepcopy(tree)
