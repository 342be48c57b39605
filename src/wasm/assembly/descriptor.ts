// Reading a descriptor: the i32 block the planner writes for each call (fields named in layout.ts, generated from ../layout.json).

/** Field i of the descriptor at d. */
@inline export function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}
