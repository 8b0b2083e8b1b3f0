/**
 * The bench's fleet, in its own process: a VirtualFleet of any size on one port, driven over IPC
 * by the runner (add targets, make some sick, read versions and timing marks). Lookups per request
 * are O(1), so the fleet's cost stays flat as it grows.
 */
import { VirtualFleet, type FleetMarks } from '../sim/virtual-fleet';
import { serveIpc } from './ipc';

async function main(): Promise<void> {
  const fleet = new VirtualFleet([]);
  await fleet.start();
  serveIpc({
    url: () => fleet.url('').slice(0, -'/t/'.length),
    add: ({ ids }: { ids: string[] }) => void fleet.add(ids),
    sick: ({ ids, sick }: { ids: string[]; sick: boolean }) => {
      for (const id of ids) {
        if (sick) fleet.sick.add(id);
        else fleet.sick.delete(id);
      }
    },
    /** How many of `ids` run `version`. */
    count: ({ ids, version }: { ids: string[]; version: number }) => ids.filter((id) => (fleet.versions.get(id) ?? 0) === version).length,
    marks: (): FleetMarks => fleet.marks,
    resetMarks: () => fleet.resetMarks(),
    requests: () => fleet.requests,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
