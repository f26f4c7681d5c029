import * as fs from 'node:fs';

/**
 * Whether some process holds a flock(2) lock on `file`, read from /proc/locks by the file's inode.
 * Looking does not take the lock: a probe with `flock -n file true` holds it for an instant, and a
 * deploy whose own non-blocking flock lands in that instant fails as "another deploy is running".
 */
export function flockHeld(file: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return false; // not created yet: nobody holds it
  }
  // Linux's dev_t: major in bits 8-19, minor in bits 0-7 and 20-31; /proc/locks prints them in hex
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  return fs.readFileSync('/proc/locks', 'utf8').split('\n').some((line) => {
    const f = line.trim().split(/\s+/);
    // "<n>: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> 0 EOF"
    const [maj, min, ino] = (f[5] ?? '').split(':');
    return f[1] === 'FLOCK' && parseInt(maj, 16) === major && parseInt(min, 16) === minor && Number(ino) === st.ino;
  });
}
