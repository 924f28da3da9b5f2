/**
 * Seeded mutations of workflow text (delete, swap, duplicate and truncate lines, insert YAML
 * indicators, delete characters), for tests that feed the resolver damaged files.
 */

/** The xorshift32 generator: small, seedable and fast, so test input needs no dependency. */
export class Xorshift32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** Returns an integer in [0, bound). */
  below(bound: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return bound <= 0 ? 0 : this.state % bound;
  }
}

/** Characters and pairs that change how YAML reads what follows them. */
const INDICATORS = [
  "{",
  "}",
  "[",
  "]",
  ":",
  ": ",
  ",",
  "- ",
  "? ",
  "&a ",
  "*a",
  "!",
  "!!str ",
  "|",
  ">",
  "'",
  '"',
  "#",
  " #",
  "\t",
  "~",
  "%",
];

type Mutation = (lines: string[], random: Xorshift32) => string;

const MUTATIONS: Record<string, Mutation> = {
  "delete a line": (lines, random) => {
    lines.splice(random.below(lines.length), 1);
    return "";
  },
  "swap two lines": (lines, random) => {
    const a = random.below(lines.length);
    const b = random.below(lines.length);
    [lines[a], lines[b]] = [lines[b], lines[a]];
    return "";
  },
  "duplicate a line": (lines, random) => {
    const i = random.below(lines.length);
    lines.splice(i, 0, lines[i]);
    return "";
  },
  "truncate a line": (lines, random) => {
    const i = random.below(lines.length);
    lines[i] = lines[i].slice(0, random.below(lines[i].length + 1));
    return "";
  },
  "insert an indicator": (lines, random) => {
    const i = random.below(lines.length);
    const at = random.below(lines[i].length + 1);
    const indicator = INDICATORS[random.below(INDICATORS.length)];
    lines[i] = lines[i].slice(0, at) + indicator + lines[i].slice(at);
    return "";
  },
  "delete characters": (lines, random) => {
    const i = random.below(lines.length);
    const start = random.below(lines[i].length + 1);
    lines[i] = lines[i].slice(0, start) + lines[i].slice(start + 1 + random.below(6));
    return "";
  },
};

export function mutate(text: string, random: Xorshift32): { text: string; steps: string[] } {
  const lines = text.split("\n");
  const names = Object.keys(MUTATIONS);
  const steps: string[] = [];
  const count = 1 + random.below(3);
  for (let i = 0; i < count && lines.length > 0; i++) {
    const name = names[random.below(names.length)];
    MUTATIONS[name](lines, random);
    steps.push(name);
  }
  return { text: lines.join("\n"), steps };
}
