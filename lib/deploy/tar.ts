/**
 * The smallest tar that `docker cp` reads and writes: one regular file (ustar). The deploy
 * records on an environment's first host travel this way (`docker cp - <container>:/records`
 * and `docker cp <container>:/records/<file> -`), with no shell pipe and no tar binary.
 */
const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/**
 * A tar archive holding one file `name` (mode 0600, owner 0:0) with `content`: its header is the
 * one GNU tar writes with `--format=ustar --numeric-owner --owner=0 --group=0 --mode=0600`.
 */
export function tarOneFile(name: string, content: Buffer, mtime = 0): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar: file name too long: ${name}`);
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, 'utf8');
  header.write(octal(0o600, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(content.length, 12), 124, 'ascii');
  header.write(octal(mtime, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  // user and group names stay empty (numeric ids); device numbers as GNU tar writes them for a file
  header.write(octal(0, 8), 329, 'ascii');
  header.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
  return Buffer.concat([header, content, Buffer.alloc(pad, 0), Buffer.alloc(2 * BLOCK, 0)]);
}

/** The content of the first regular file in a tar archive; undefined when there is none. */
export function untarFirstFile(archive: Buffer): Buffer | undefined {
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]);
    const start = at + BLOCK;
    if (type === '0' || type === '\0') return archive.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
