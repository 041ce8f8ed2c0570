import { ConfigError, LogjailError } from '../core/errors.js';

/**
 * A tiny, safe evaluator for the Python expressions fail2ban evaluates from config
 * (`bantime.formula`, `bantime.factor`, time spans after unit rewriting). It compiles a
 * Python-subset expression to closures over numbers; there is no access to anything but the
 * names the caller allows and a fixed set of numeric builtins.
 *
 * Supported: int/float literals, `+ - * / // % **`, `<< >> & | ^ ~`, comparisons (chained),
 * `not and or`, `x if c else y`, parentheses, True/False, min/max/int/float/round/abs/pow/bool,
 * math.exp/log/log2/log10/log1p/expm1/sqrt/pow/floor/ceil/trunc/fabs/fmod and math.pi/e/inf.
 * Python semantics kept where they change results: int vs float (`/` is true division,
 * shifts need ints), floor division and modulo follow the divisor's sign, round() is
 * banker's rounding, `-2**2` is -4.
 */

/** Runtime failure (division by zero, overflow, type error): fail2ban logs it and keeps the base value. */
export class PyEvalError extends LogjailError {
  constructor(message: string) {
    super('E_EVAL', message);
    this.name = 'PyEvalError';
  }
}

interface Val {
  v: number;
  /** true = Python float, false = int (bools are ints) */
  f: boolean;
}

type Env = Readonly<Record<string, number>>;
type Node = (env: Env) => Val;

export type PyExpr = (env?: Env) => number;

const int = (v: number): Val => ({ v, f: false });
const flt = (v: number): Val => ({ v, f: true });
const bool = (b: boolean): Val => ({ v: b ? 1 : 0, f: false });
const truthy = (x: Val): boolean => x.v !== 0;

/** Python 3 round(): ties go to the even neighbour. */
export function pyRound(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

function pyRoundDigits(x: number, nd: number): number {
  if (nd === 0) return pyRound(x);
  const p = 10 ** nd;
  const y = x * p;
  // only exact halves (after scaling) are ties; otherwise plain rounding
  return (Number.isInteger(y * 2) && !Number.isInteger(y) ? pyRound(y) : Math.round(y)) / p;
}

function needInt(x: Val, op: string): bigint {
  if (x.f) throw new PyEvalError(`unsupported operand type(s) for ${op}: 'float'`);
  return BigInt(x.v);
}

function finite(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new PyEvalError(`${what}: result too large`);
  return x;
}

function floorDiv(a: Val, b: Val): Val {
  if (b.v === 0) throw new PyEvalError('division by zero');
  const q = Math.floor(a.v / b.v);
  return a.f || b.f ? flt(q) : int(q);
}

function mod(a: Val, b: Val): Val {
  if (b.v === 0) throw new PyEvalError('modulo by zero');
  const r = a.v - b.v * Math.floor(a.v / b.v);
  return a.f || b.f ? flt(r) : int(r);
}

function power(a: Val, b: Val): Val {
  if (a.v === 0 && b.v < 0) throw new PyEvalError('0.0 cannot be raised to a negative power');
  if (a.v < 0 && !Number.isInteger(b.v)) throw new PyEvalError('negative number cannot be raised to a fractional power');
  const r = finite(a.v ** b.v, 'power');
  return !a.f && !b.f && b.v >= 0 ? int(r) : flt(r);
}

function shift(a: Val, b: Val, left: boolean): Val {
  const op = left ? '<<' : '>>';
  needInt(a, op);
  needInt(b, op);
  if (b.v < 0) throw new PyEvalError('negative shift count');
  const m = 2 ** b.v;
  return int(left ? finite(a.v * m, op) : Math.floor(a.v / m));
}

const BINARY: Record<string, (a: Val, b: Val) => Val> = {
  '+': (a, b) => ({ v: finite(a.v + b.v, '+'), f: a.f || b.f }),
  '-': (a, b) => ({ v: finite(a.v - b.v, '-'), f: a.f || b.f }),
  '*': (a, b) => ({ v: finite(a.v * b.v, '*'), f: a.f || b.f }),
  '/': (a, b) => {
    if (b.v === 0) throw new PyEvalError('division by zero');
    return flt(a.v / b.v);
  },
  '//': floorDiv,
  '%': mod,
  '**': power,
  '<<': (a, b) => shift(a, b, true),
  '>>': (a, b) => shift(a, b, false),
  '&': (a, b) => int(Number(needInt(a, '&') & needInt(b, '&'))),
  '|': (a, b) => int(Number(needInt(a, '|') | needInt(b, '|'))),
  '^': (a, b) => int(Number(needInt(a, '^') ^ needInt(b, '^'))),
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

interface Fn {
  min: number;
  max: number;
  call: (args: Val[]) => Val;
}

const mathFn1 = (f: (x: number) => number, name: string, intResult = false): Fn => ({
  min: 1,
  max: 1,
  call: ([x]) => {
    const r = f(x!.v);
    if (Number.isNaN(r)) throw new PyEvalError(`math domain error in ${name}`);
    return intResult ? int(finite(r, name)) : flt(finite(r, name));
  },
});

const FUNCS: Record<string, Fn> = {
  min: { min: 2, max: Infinity, call: (a) => a.reduce((m, x) => (x.v < m.v ? x : m)) },
  max: { min: 2, max: Infinity, call: (a) => a.reduce((m, x) => (x.v > m.v ? x : m)) },
  int: { min: 1, max: 1, call: ([x]) => int(Math.trunc(x!.v)) },
  float: { min: 1, max: 1, call: ([x]) => flt(x!.v) },
  bool: { min: 1, max: 1, call: ([x]) => bool(truthy(x!)) },
  abs: { min: 1, max: 1, call: ([x]) => ({ v: Math.abs(x!.v), f: x!.f }) },
  pow: { min: 2, max: 2, call: ([a, b]) => power(a!, b!) },
  round: {
    min: 1,
    max: 2,
    call: ([x, n]) => {
      if (!n) return int(pyRound(x!.v));
      const nd = Number(needInt(n, 'round'));
      return { v: pyRoundDigits(x!.v, nd), f: x!.f };
    },
  },
  'math.exp': mathFn1(Math.exp, 'exp'),
  'math.log': {
    min: 1,
    max: 2,
    call: ([x, base]) => {
      if (x!.v <= 0 || (base && (base.v <= 0 || base.v === 1))) throw new PyEvalError('math domain error in log');
      return flt(base ? Math.log(x!.v) / Math.log(base.v) : Math.log(x!.v));
    },
  },
  'math.log2': mathFn1((x) => (x > 0 ? Math.log2(x) : NaN), 'log2'),
  'math.log10': mathFn1((x) => (x > 0 ? Math.log10(x) : NaN), 'log10'),
  'math.log1p': mathFn1((x) => (x > -1 ? Math.log1p(x) : NaN), 'log1p'),
  'math.expm1': mathFn1(Math.expm1, 'expm1'),
  'math.sqrt': mathFn1((x) => (x >= 0 ? Math.sqrt(x) : NaN), 'sqrt'),
  'math.floor': mathFn1(Math.floor, 'floor', true),
  'math.ceil': mathFn1(Math.ceil, 'ceil', true),
  'math.trunc': mathFn1(Math.trunc, 'trunc', true),
  'math.fabs': mathFn1(Math.abs, 'fabs'),
  'math.pow': { min: 2, max: 2, call: ([a, b]) => flt(power(a!, b!).v) },
  'math.fmod': {
    min: 2,
    max: 2,
    call: ([a, b]) => {
      if (b!.v === 0) throw new PyEvalError('math domain error in fmod');
      return flt(a!.v % b!.v);
    },
  },
};

const CONSTS: Record<string, Val> = {
  True: int(1),
  False: int(0),
  'math.pi': flt(Math.PI),
  'math.e': flt(Math.E),
  'math.inf': flt(Infinity),
};

type Tok = { k: 'num'; v: Val; p: number } | { k: 'name'; v: string; p: number } | { k: 'op'; v: string; p: number };

const OPS = ['**', '//', '<<', '>>', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '<', '>', '(', ')', ',', '&', '|', '^', '~'];
const KEYWORDS = new Set(['if', 'else', 'and', 'or', 'not']);

function tokenize(src: string, fail: (msg: string) => never): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)/.exec(rest);
    if (num) {
      const t = num[0];
      const isFloat = !/^0[xX]/.test(t) && /[.eE]/.test(t);
      if (!isFloat && /^0\d/.test(t)) fail(`leading zeros in decimal integer literal at ${i}`);
      toks.push({ k: 'num', v: { v: Number(t), f: isFloat }, p: i });
      i += t.length;
      continue;
    }
    // dotted names (ban.Time, math.exp) are one token: attribute access is only used that way
    const name = /^[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
    if (name) {
      toks.push({ k: 'name', v: name[0].replace(/\s+/g, ''), p: i });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) fail(`unexpected character '${c}' at ${i}`);
    toks.push({ k: 'op', v: op, p: i });
    i += op.length;
  }
  return toks;
}

/**
 * Compile `src`. `names` are the variables the expression may read (values supplied per call).
 * Syntax errors and unknown names raise ConfigError naming `key`.
 */
export function compilePyExpr(src: string, names: readonly string[], key: string): PyExpr {
  const fail = (msg: string): never => {
    throw new ConfigError(`${key}: invalid expression ${JSON.stringify(src)}: ${msg}`);
  };
  const toks = tokenize(src, fail);
  let pos = 0;
  const allowed = new Set(names);

  const peek = (): Tok | undefined => toks[pos];
  const isOp = (v: string): boolean => {
    const t = toks[pos];
    return t !== undefined && t.k === 'op' && t.v === v;
  };
  const isKw = (v: string): boolean => {
    const t = toks[pos];
    return t !== undefined && t.k === 'name' && t.v === v;
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) fail(`expected '${v}' at ${peek()?.p ?? 'end'}`);
    pos++;
  };

  const expr = (): Node => {
    const body = orTest();
    if (!isKw('if')) return body;
    pos++;
    const cond = orTest();
    if (!isKw('else')) fail(`expected 'else' at ${peek()?.p ?? 'end'}`);
    pos++;
    const other = expr();
    return (env) => (truthy(cond(env)) ? body(env) : other(env));
  };
  const orTest = (): Node => {
    let left = andTest();
    while (isKw('or')) {
      pos++;
      const l = left;
      const r = andTest();
      left = (env) => {
        const a = l(env);
        return truthy(a) ? a : r(env);
      };
    }
    return left;
  };
  const andTest = (): Node => {
    let left = notTest();
    while (isKw('and')) {
      pos++;
      const l = left;
      const r = notTest();
      left = (env) => {
        const a = l(env);
        return truthy(a) ? r(env) : a;
      };
    }
    return left;
  };
  const notTest = (): Node => {
    if (isKw('not')) {
      pos++;
      const x = notTest();
      return (env) => bool(!truthy(x(env)));
    }
    return comparison();
  };
  const comparison = (): Node => {
    const first = binary(0);
    const ops: string[] = [];
    const rhs: Node[] = [];
    for (;;) {
      const t = peek();
      if (!t || t.k !== 'op' || !(t.v in COMPARE)) break;
      pos++;
      ops.push(t.v);
      rhs.push(binary(0));
    }
    if (ops.length === 0) return first;
    // chained: a < b < c  ==  a < b and b < c (each operand evaluated once)
    return (env) => {
      let a = first(env);
      for (let i = 0; i < ops.length; i++) {
        const b = rhs[i]!(env);
        if (!COMPARE[ops[i]!]!(a.v, b.v)) return bool(false);
        a = b;
      }
      return bool(true);
    };
  };
  // binary levels from loosest to tightest; unary and ** handled below them
  const LEVELS = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%']];
  const binary = (level: number): Node => {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (!t || t.k !== 'op' || !LEVELS[level]!.includes(t.v)) break;
      pos++;
      const f = BINARY[t.v]!;
      const l = left;
      const r = binary(level + 1);
      left = (env) => f(l(env), r(env));
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t && t.k === 'op' && (t.v === '-' || t.v === '+' || t.v === '~')) {
      pos++;
      const x = unary();
      if (t.v === '-') return (env) => {
        const a = x(env);
        return { v: -a.v, f: a.f };
      };
      if (t.v === '~') return (env) => int(Number(~needInt(x(env), '~')));
      return x;
    }
    return powerExpr();
  };
  const powerExpr = (): Node => {
    const base = primary();
    if (!isOp('**')) return base;
    pos++;
    const exp = unary(); // right-associative, binds tighter than a unary minus on its left
    return (env) => power(base(env), exp(env));
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) return fail('unexpected end of expression');
    pos++;
    if (t.k === 'num') {
      const v = t.v;
      return () => v;
    }
    if (t.k === 'op') {
      if (t.v !== '(') return fail(`unexpected '${t.v}' at ${t.p}`);
      const inner = expr();
      expectOp(')');
      return inner;
    }
    if (KEYWORDS.has(t.v)) return fail(`unexpected '${t.v}' at ${t.p}`);
    if (isOp('(')) {
      pos++;
      const fn = FUNCS[t.v];
      if (!fn) return fail(`unknown function '${t.v}'`);
      const args: Node[] = [];
      if (!isOp(')')) {
        for (;;) {
          args.push(expr());
          if (!isOp(',')) break;
          pos++;
        }
      }
      expectOp(')');
      if (args.length < fn.min || args.length > fn.max) fail(`wrong number of arguments for ${t.v}()`);
      return (env) => fn.call(args.map((a) => a(env)));
    }
    const c = CONSTS[t.v];
    if (c) return () => c;
    if (!allowed.has(t.v)) return fail(`unknown name '${t.v}'`);
    const name = t.v;
    return (env) => {
      const v = env[name];
      if (v === undefined) throw new PyEvalError(`name '${name}' is not defined`);
      return { v, f: !Number.isInteger(v) };
    };
  };

  if (toks.length === 0) fail('empty expression');
  const root = expr();
  if (pos < toks.length) fail(`unexpected token at ${toks[pos]!.p}`);
  return (env = {}) => {
    const r = root(env).v;
    if (Number.isNaN(r)) throw new PyEvalError('result is not a number');
    return r;
  };
}
