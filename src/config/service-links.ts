/**
 * Kubernetes "service links": for every Service in the namespace the kubelet injects
 * `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<port name>]`, `<NAME>_PORT=tcp://ip:port`
 * and `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`, the name upper-cased with `-` as `_`.
 * A Service named `nbo` therefore sets `NBO_PORT=tcp://10.0.0.7:8080`, and `nbo-redis`
 * sets `NBO_REDIS_PORT=tcp://…` — names inside NBO's own `NBO_` namespace.
 */

const LINK_VALUE = /^(tcp|udp|sctp):\/\/[^\s/]+:\d{1,5}$/i;
const LINK_NAME = [
  /_SERVICE_HOST$/,
  /_SERVICE_PORT(_[A-Z0-9_]+)?$/,
  /_PORT_\d{1,5}_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/,
];

/** Whether a value has the shape of a service link (`tcp://10.0.0.7:8080`). */
export function isServiceLinkValue(value: string): boolean {
  return LINK_VALUE.test(value.trim());
}

/** Whether a variable NBO does not know is one the kubelet injected for a Service (ignored, not an error). */
export function isServiceLinkVariable(name: string, value: string | undefined): boolean {
  if (LINK_NAME.some((re) => re.test(name))) return true;
  return /_PORT$/.test(name) && value !== undefined && isServiceLinkValue(value);
}

/** The config problem for a real NBO variable holding a service link. */
export function serviceLinkProblem(name: string, value: string): string {
  const service = /_PORT$/.test(name)
    ? ` (injected for a Service named "${name.slice(0, -'_PORT'.length).toLowerCase().replace(/_/g, '-')}")`
    : '';
  return (
    `${name}="${value.trim()}" is a Kubernetes service link${service}, not NBO configuration: ` +
    'set enableServiceLinks: false in the pod spec (or set the variable explicitly)'
  );
}
