/**
 * The surface of an entry point as TypeScript sees it (the compiler API on the source): its value exports, its
 * type-only exports, and the named types its values' signatures use (parameters, results, public members of
 * exported classes, followed through the types they name), so a test can hold "every type a user needs is
 * exported, and no other".
 */
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(__dirname, "..", "..");
const src = join(root, "src");

let program: ts.Program | null = null;
function getProgram(): ts.Program {
  if (program) return program;
  const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  return program;
}

/** What an entry exports: value names (runtime) and type-only names, each sorted. */
export interface EntrySurface {
  values: string[];
  types: string[];
  /** Named types (declared in src/) that the values' signatures use, transitively, sorted; "file: Name". */
  needed: { name: string; file: string }[];
}

/** Exported with `export type` (the name is a type here even when it names a class or a constant). */
const typeOnly = (s: ts.Symbol): boolean => (s.declarations ?? []).some((d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || (ts.isExportDeclaration(d) && d.isTypeOnly));

const resolveAlias = (checker: ts.TypeChecker, s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);

/** The surface of `entry` (a path under src/, e.g. "index.ts"). `skip`: value names whose signatures are not followed (namespaces). */
export function entrySurface(entry: string, skip: readonly string[] = []): EntrySurface {
  const p = getProgram();
  const checker = p.getTypeChecker();
  const file = p.getSourceFile(join(src, entry));
  if (!file) throw new Error(`no source file src/${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(file)!;
  const values: string[] = [];
  const types: string[] = [];
  const roots: ts.Symbol[] = [];
  for (const s of checker.getExportsOfModule(moduleSymbol)) {
    const target = resolveAlias(checker, s);
    if (target.flags & ts.SymbolFlags.Value && !typeOnly(s)) {
      values.push(s.name);
      if (!skip.includes(s.name)) roots.push(target);
    } else types.push(s.name);
  }
  const needed = new Map<ts.Declaration, string>();
  const seenTypes = new Set<ts.Type>();
  const isOurs = (d: ts.Node) => d.getSourceFile().fileName.startsWith(src + "/");
  const addSymbol = (sym: ts.Symbol | undefined) => {
    if (!sym) return;
    const target = resolveAlias(checker, sym);
    for (const d of target.declarations ?? []) {
      if (!isOurs(d)) continue;
      if (!(ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d) || ts.isEnumDeclaration(d))) continue;
      if (needed.has(d)) continue;
      // a module's local alias of a dependency's type (h5wasm's File) cannot be named by a user: followed, not listed
      const exported = (ts.getModifiers(d as ts.HasModifiers) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (!exported) { needed.set(d, ""); visitDeclaration(d); continue; }
      needed.set(d, target.name);
      visitDeclaration(d);
    }
  };
  const visitTypeNode = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node)) addSymbol(checker.getSymbolAtLocation(ts.isQualifiedName(node.typeName) ? node.typeName.right : node.typeName));
    if (ts.isExpressionWithTypeArguments(node)) addSymbol(checker.getSymbolAtLocation(node.expression));
    if (ts.isTypeQueryNode(node)) return;
    ts.forEachChild(node, visitTypeNode);
  };
  const visitType = (t: ts.Type): void => {
    if (seenTypes.has(t)) return;
    seenTypes.add(t);
    if (t.aliasSymbol) { addSymbol(t.aliasSymbol); return; }
    if (t.symbol && (t.symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum))) addSymbol(t.symbol);
    if (t.isUnionOrIntersection()) t.types.forEach(visitType);
    for (const a of checker.getTypeArguments(t as ts.TypeReference) ?? []) visitType(a);
  };
  const isPublic = (m: ts.Node) => {
    const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
    if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
    const name = (m as ts.ClassElement).name;
    return !(name && ts.isPrivateIdentifier(name));
  };
  const visitSignature = (d: ts.SignatureDeclaration) => {
    for (const tp of d.typeParameters ?? []) { if (tp.constraint) visitTypeNode(tp.constraint); if (tp.default) visitTypeNode(tp.default); }
    for (const param of d.parameters) if (param.type) visitTypeNode(param.type); else visitType(checker.getTypeAtLocation(param));
    if (d.type) visitTypeNode(d.type);
    else {
      const sig = checker.getSignatureFromDeclaration(d);
      if (sig) visitType(checker.getReturnTypeOfSignature(sig));
    }
  };
  function visitDeclaration(d: ts.Node): void {
    if (ts.isFunctionDeclaration(d) || ts.isMethodDeclaration(d) || ts.isConstructorDeclaration(d) || ts.isMethodSignature(d) || ts.isGetAccessorDeclaration(d) || ts.isArrowFunction(d) || ts.isFunctionExpression(d)) {
      visitSignature(d as ts.SignatureDeclaration);
    } else if (ts.isClassDeclaration(d)) {
      for (const h of d.heritageClauses ?? []) h.types.forEach(visitTypeNode);
      for (const m of d.members) {
        if (!isPublic(m)) continue;
        if (ts.isPropertyDeclaration(m)) { if (m.type) visitTypeNode(m.type); else visitType(checker.getTypeAtLocation(m)); }
        else visitDeclaration(m);
      }
    } else if (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isEnumDeclaration(d)) {
      if (ts.isInterfaceDeclaration(d)) { for (const h of d.heritageClauses ?? []) h.types.forEach(visitTypeNode); d.members.forEach(visitTypeNode); }
      if (ts.isTypeAliasDeclaration(d)) visitTypeNode(d.type);
    } else if (ts.isVariableDeclaration(d)) {
      if (d.type) visitTypeNode(d.type);
      else if (d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) visitDeclaration(d.initializer);
      else visitType(checker.getTypeAtLocation(d));
    }
  }
  for (const s of roots) for (const d of s.declarations ?? []) if (isOurs(d)) { if (ts.isClassDeclaration(d)) addSymbol(s); else visitDeclaration(d); }
  const list = [...needed].filter(([, name]) => name !== "").map(([d, name]) => ({ name, file: relative(src, d.getSourceFile().fileName) }));
  return {
    values: values.sort(),
    types: types.sort(),
    needed: list.filter((n) => !values.includes(n.name)).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export const SRC = src;
export const entryDir = (entry: string) => dirname(join(src, entry));
