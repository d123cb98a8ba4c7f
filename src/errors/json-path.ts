/** `/caps/customer/0/outcome` → `$.caps.customer[0].outcome`, under a prefix. */
export function pointerToPath(pointer: string, prefix = '$'): string {
  if (pointer === '') return prefix;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((p, seg) => (/^\d+$/.test(seg) ? `${p}[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `${p}.${seg}` : `${p}[${JSON.stringify(seg)}]`), prefix);
}
