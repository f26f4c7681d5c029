/**
 * The smallest tar that `docker cp` reads and writes: one regular file (ustar). The deploy
 * records on an environment's first host travel this way (`docker cp - <container>:/records`
 * and `docker cp <container>:/records/<file> -`), with no shell pipe and no tar binary.
 */
const BLOCK = 512;

/** A numeric field: width - 1 octal digits; the NUL after them is the header's zero byte. */
function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0');
}

/**
 * A tar archive holding one file `name` (mode 0600, owner 0:0) with `content`: its header is the
 * one GNU tar writes with `--format=ustar --numeric-owner --owner=0 --group=0 --mode=0600`.
 */
export function tarOneFile(name: string, content: Buffer, mtime = 0): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar: file name too long: ${name}`);
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0);
  header.write(octal(0o600, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(content.length, 12), 124);
  header.write(octal(mtime, 12), 136);
  header.write('        ', 148); // checksum field counts as spaces
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  // user and group names stay empty (numeric ids); device numbers as GNU tar writes them for a file
  header.write(octal(0, 8), 329);
  header.write(octal(0, 8), 337);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
  return Buffer.concat([header, content, Buffer.alloc(pad, 0), Buffer.alloc(2 * BLOCK, 0)]);
}

/** The content of the first regular file in a tar archive; undefined when there is none. */
export function untarFirstFile(archive: Buffer): Buffer | undefined {
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(header.toString('latin1', 124, 136), 8) || 0; // parseInt stops at the NUL or space after the digits
    const type = String.fromCharCode(header[156]);
    const start = at + BLOCK;
    if (type === '0' || type === '\0') return archive.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
