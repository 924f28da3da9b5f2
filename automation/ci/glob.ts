/**
 * Converts a path glob to an anchored regular expression. It supports `**` (any number of path
 * segments), `*` (any run of characters within one segment), `?` (one character within a segment)
 * and `{a,b}` alternatives. Everything else matches literally. A pattern that ends in `/` matches
 * everything below that folder.
 *
 * Written here because no glob matcher is among the project's dependencies, and Node 20's
 * `path.matchesGlob` is still experimental.
 */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern.endsWith("/") ? `${pattern}**` : pattern;
  let out = "";
  let inAlternatives = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "*" && source[i + 1] === "*") {
      // `**/` matches zero or more whole segments; a trailing `**` matches the rest of the path.
      if (source[i + 2] === "/") {
        out += "(?:.*/)?";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (char === "*") {
      out += "[^/]*";
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "{" && !inAlternatives) {
      inAlternatives = true;
      out += "(?:";
    } else if (char === "}" && inAlternatives) {
      inAlternatives = false;
      out += ")";
    } else if (char === "," && inAlternatives) {
      out += "|";
    } else {
      out += char.replace(/[.+^$()|[\]\\]/g, "\\$&");
    }
  }
  if (inAlternatives) {
    throw new Error(
      `Glob "${pattern}" is invalid: "{" has no closing "}"; close the alternatives or escape the brace.`,
    );
  }
  return new RegExp(`^${out}$`);
}
