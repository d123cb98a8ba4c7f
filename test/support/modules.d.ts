declare module 'json-logic-js' {
  const jsonLogic: { apply(logic: unknown, data?: unknown): unknown; truthy(v: unknown): boolean };
  export default jsonLogic;
}
