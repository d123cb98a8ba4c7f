/**
 * The Restricted Pod Security Standard (Kubernetes 1.27, including Baseline) as checks on a
 * pod spec, plus this project's own: a read-only root filesystem. Returns what breaks it.
 */
export function restrictedViolations(spec: any, where: string): string[] {
  const out: string[] = [];
  const bad = (msg: string) => out.push(`${where}: ${msg}`);
  const pod = spec.securityContext ?? {};
  const containers: any[] = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  if (containers.length === 0) bad('no containers');

  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k]) bad(`${k} is set`);
  const allowedVolumes = [
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'persistentVolumeClaim',
    'projected',
    'secret',
  ];
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !allowedVolumes.includes(type)) bad(`volume ${v.name} is of type ${type}`);
  }
  if (pod.runAsUser === 0) bad('pod runAsUser is 0');
  for (const s of pod.sysctls ?? []) bad(`sysctl ${s.name}`);

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) bad(`${at} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) bad(`${at}: allowPrivilegeEscalation is not false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) bad(`${at}: runAsNonRoot is not true`);
    const uid = sc.runAsUser ?? pod.runAsUser;
    if (uid === undefined || uid === 0)
      bad(`${at}: runAsUser is ${uid === 0 ? '0' : 'unset'} (a non-zero uid, so the image's user does not matter)`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') bad(`${at}: seccompProfile is ${seccomp ?? 'unset'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) bad(`${at}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') bad(`${at}: adds capability ${cap}`);
    if (sc.procMount && sc.procMount !== 'Default') bad(`${at}: procMount ${sc.procMount}`);
    for (const p of c.ports ?? []) if (p.hostPort) bad(`${at}: hostPort ${p.hostPort}`);
    if (sc.readOnlyRootFilesystem !== true) bad(`${at}: readOnlyRootFilesystem is not true`);
    const tmp = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
    const tmpVol = tmp && (spec.volumes ?? []).find((v: any) => v.name === tmp.name);
    if (!tmpVol?.emptyDir) bad(`${at}: /tmp is not an emptyDir (a read-only root filesystem needs one)`);
  }
  return out;
}
