/**
 * Writes the topology picture of each example (examples/<name>/topology.svg, shown by its
 * README): `npm run graphs`. test/graph.test.ts fails when a picture is stale or does not render.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toSvg, topology } from '../lib/ops/graph';
import { loadModel } from '../lib/ops/model';

/** Example folder → the environment its picture shows. */
export const EXAMPLE_PICTURES: Readonly<Record<string, string>> = {
  'chat-backend': 'aomi-production',
  'market-analytics': 'market-prod',
  'oh-my-coins': 'omc-server',
  'trading-homelab': 'homelab',
};

export const pictureFile = (root: string, example: string) => path.join(root, 'examples', example, 'topology.svg');

export async function examplePicture(root: string, example: string): Promise<string> {
  return toSvg(topology(loadModel(EXAMPLE_PICTURES[example], path.join(root, 'examples', example))));
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  (async () => {
    for (const example of Object.keys(EXAMPLE_PICTURES)) {
      fs.writeFileSync(pictureFile(root, example), await examplePicture(root, example));
      console.log(`examples/${example}/topology.svg (${EXAMPLE_PICTURES[example]})`);
    }
  })().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
