// The reaper: a small process that outlives its launcher by design. The launcher (npm start, npm
// run worker|api, npm test) tells it every process it starts; when the launcher's IPC channel
// closes, however the launcher ended (a clean exit, or SIGKILL from an operator, the OOM killer,
// a container runtime), the reaper stops whatever the launcher left behind: SIGTERM first, so a
// worker can drain, then SIGKILL after the grace period. Nothing of Tollgate outlives its launcher.
//
// Messages from the launcher: {track: pid, group: boolean} and {forget: pid}.

const GRACE_MS = Number(process.env.TOLLGATE_REAPER_GRACE_MS) || 15_000;
const POLL_MS = 100;

/** pid → whether it leads a process group of its own (signalled as a group). */
const tracked = new Map();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid, group, sig) {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // already gone
  }
}

async function reap() {
  const left = [...tracked].filter(([pid]) => alive(pid));
  for (const [pid, group] of left) signal(pid, group, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && left.some(([pid]) => alive(pid))) await new Promise((r) => setTimeout(r, POLL_MS));
  // Groups are killed whole even when their leader went: nothing they started may stay behind.
  for (const [pid, group] of left) signal(pid, group, 'SIGKILL');
  process.exit(0);
}

process.on('message', (m) => {
  if (typeof m?.track === 'number') tracked.set(m.track, Boolean(m.group));
  else if (typeof m?.forget === 'number') tracked.delete(m.forget);
});
process.on('disconnect', () => void reap());
// Ctrl-C reaches the launcher's whole process group; the reaper has its own, and ignores these anyway.
for (const sig of ['SIGINT', 'SIGHUP']) process.on(sig, () => undefined);
