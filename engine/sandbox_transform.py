"""Parse, check against the allow-list, and instrument a script or expression.

Only the node types in ALLOWED_NODES may appear; anything else (import, class, def, try,
with, global, yield, await, match, walrus, ...) is refused before the code runs, and
`processes validate` reports it. The transform then routes every attribute read, subscript
store and allocating operator through the guards, and puts a budget tick in every loop,
comprehension and lambda body.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from .sandbox_guards import ALL_ATTRIBUTE_NAMES, OPERATORS
from .sandbox_limits import SandboxViolation

ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset({
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For,
    ast.While, ast.Break, ast.Continue, ast.Pass, ast.Delete, ast.Raise,
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp, ast.Dict, ast.Set,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Compare, ast.Call,
    ast.JoinedStr, ast.FormattedValue, ast.Constant, ast.Attribute, ast.Subscript,
    ast.Starred, ast.Name, ast.List, ast.Tuple, ast.Slice, ast.Load, ast.Store, ast.Del,
    ast.keyword, ast.arguments, ast.arg, ast.comprehension,
    ast.And, ast.Or, ast.Not, ast.Invert, ast.UAdd, ast.USub,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift,
    ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
})
CONSTANT_TYPES = (str, int, float, bool, type(None))
# A format spec of plain text whose numbers (width, precision) have at most three digits.
SAFE_SPEC = re.compile(r"(?:[^0-9{}]|[0-9]{1,3}(?![0-9]))*")
MAX_SPEC = 40

TICK, TICK_ITEM, GETATTR, SETITEM, AUGITEM, ITEM = (
    "_tick_", "_tick_item_", "_getattr_", "_setitem_", "_augitem_", "_item_")


def operator_guard(name: str) -> str:
    return f"_op_{name}_"


def _refuse(node: ast.AST, what: str) -> SandboxViolation:
    line = getattr(node, "lineno", None)
    where = f" (line {line})" if line else ""
    return SandboxViolation(f"{what} is not allowed in process scripts{where}")


def _check_names(node: ast.AST) -> None:
    name = (node.id if isinstance(node, ast.Name) else node.arg
            if isinstance(node, ast.arg | ast.keyword) else None)
    if name is not None and name.startswith("_"):
        raise _refuse(node, f"the name {name!r}")


def _check_target(target: ast.expr, alone: bool) -> None:
    if isinstance(target, ast.Attribute):
        raise _refuse(target, "assigning to an attribute")
    if isinstance(target, ast.Subscript) and not alone:
        raise _refuse(target, "storing into an item inside a multiple assignment")
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            _check_target(element.value if isinstance(element, ast.Starred) else element,
                          alone=False)


def _check_format_spec(node: ast.FormattedValue) -> None:
    spec = node.format_spec
    if spec is None:
        return
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
        raise _refuse(node, "a computed format spec")
    text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
    if len(text) > MAX_SPEC or not SAFE_SPEC.fullmatch(text):
        raise _refuse(node, f"the format spec {text!r}")


def _check_attribute(node: ast.Attribute) -> None:
    if node.attr.startswith("_") or node.attr not in ALL_ATTRIBUTE_NAMES:
        raise _refuse(node, f"the attribute {node.attr!r}")
    if not isinstance(node.ctx, ast.Load):
        raise _refuse(node, "changing an attribute")


def _check_constant(node: ast.Constant) -> None:
    if not isinstance(node.value, CONSTANT_TYPES):
        raise _refuse(node, f"a {type(node.value).__name__} literal")


def _check_assign(node: ast.Assign) -> None:
    for target in node.targets:
        _check_target(target, alone=len(node.targets) == 1)


def _check_augassign(node: ast.AugAssign) -> None:
    _check_target(node.target, alone=True)


def _check_comprehension(node: ast.comprehension) -> None:
    if node.is_async:
        raise _refuse(node, "async comprehension")


def _check_raise(node: ast.Raise) -> None:
    if node.cause is not None:
        raise _refuse(node, "raise ... from")


_NODE_CHECKS: dict[type[ast.AST], Callable[[Any], None]] = {
    ast.Attribute: _check_attribute, ast.Constant: _check_constant,
    ast.FormattedValue: _check_format_spec, ast.Assign: _check_assign,
    ast.AugAssign: _check_augassign, ast.comprehension: _check_comprehension,
    ast.Raise: _check_raise,
}


def _check_node(node: ast.AST) -> None:
    if type(node) not in ALLOWED_NODES:
        raise _refuse(node, type(node).__name__)
    _check_names(node)
    check = _NODE_CHECKS.get(type(node))
    if check is not None:
        check(node)


def check_tree(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        _check_node(node)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class _Instrument(ast.NodeTransformer):
    """Rewrites checked code so every risky operation goes through a guard."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(_call(GETATTR, node.value, ast.Constant(node.attr)), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = type(node.op).__name__
        if name not in OPERATORS:
            return node
        return ast.copy_location(_call(operator_guard(name), node.left, node.right), node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        target = node.targets[0]
        if isinstance(target, ast.Subscript):
            return ast.copy_location(ast.Expr(_call(SETITEM, target.value, target.slice,
                                                    node.value)), node)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        name = type(node.op).__name__
        target = node.target
        if isinstance(target, ast.Subscript):
            return ast.copy_location(ast.Expr(_call(
                AUGITEM, target.value, target.slice, ast.Constant(name), node.value)), node)
        if name not in OPERATORS or not isinstance(target, ast.Name):
            return node
        current = ast.Name(id=target.id, ctx=ast.Load())
        return ast.copy_location(ast.Assign(
            targets=[target], value=_call(operator_guard(name), current, node.value)), node)

    def _tick_body(self, node: ast.For | ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.Expr(_call(TICK)))
        return node

    visit_For = _tick_body
    visit_While = _tick_body

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.ifs.insert(0, _call(TICK_ITEM))
        return node

    def _charged_elements(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp
                          ) -> ast.AST:
        self.generic_visit(node)
        node.elt = _call(ITEM, node.elt)
        return node

    visit_ListComp = _charged_elements
    visit_SetComp = _charged_elements
    visit_GeneratorExp = _charged_elements

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        self.generic_visit(node)
        node.value = _call(ITEM, node.value)
        return node

    def _charged_display(self, node: ast.List | ast.Tuple | ast.Set | ast.Dict) -> ast.AST:
        """A display holding computed values is charged whole: `x = [x, x]` in a loop
        doubles what `==` or `str()` would walk, at no cost to any other guard."""
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", None), ast.Store | ast.Del) or all(
                isinstance(e, ast.Constant) for e in ast.iter_child_nodes(node)
                if not isinstance(e, ast.expr_context)):
            return node
        return ast.copy_location(_call(ITEM, node), node)

    visit_List = _charged_display
    visit_Tuple = _charged_display
    visit_Set = _charged_display
    visit_Dict = _charged_display

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = _call(ITEM, node.value)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        node.body = ast.BoolOp(op=ast.And(), values=[_call(TICK), node.body])
        return node


def parse_checked(source: str, mode: str) -> ast.AST:
    """The parsed tree if it uses only allowed syntax; SyntaxError or SandboxViolation else."""
    tree = ast.parse(source, mode=mode)
    check_tree(tree)
    return tree


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Checked and instrumented code, compiled once per source."""
    tree = _Instrument().visit(parse_checked(source, mode))
    ast.fix_missing_locations(tree)
    code: CodeType = compile(tree, "<string>", mode)
    return code
