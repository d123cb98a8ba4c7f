export {
  compileCatalog,
  compileLogic,
  compilePredicate,
  LogicError,
  type CatalogOptions,
  type CompiledCatalog,
  type CompiledLogic,
  type CompiledPredicate,
} from './compile.js';
export { checkLogic, type LogicIssue } from './check.js';
export { traceLogic, type TraceFailure, type TraceResult } from './trace.js';
export { truthy, type RuleRuntime } from './runtime.js';
export { CUSTOM_OPERATORS, SPEC_OPERATORS, isLogic } from './operators.js';
