// A link's address split around the part that says where it really goes: the host of a web
// address (after any "user@" that could pose as one), the recipient of a mail address.
export type AddressParts = { before: string; host: string; after: string };

export function splitAddress(href: string): AddressParts {
  const url = new URL(href);
  if (url.protocol === "mailto:") {
    const to = url.pathname;
    return { before: "mailto:", host: to, after: href.slice("mailto:".length + to.length) };
  }
  const start = href.indexOf("//") + 2;
  const authorityEnd = href.indexOf("/", start) < 0 ? href.length : href.indexOf("/", start);
  const hostStart = authorityEnd - url.host.length;
  if (!url.host || href.slice(hostStart, authorityEnd) !== url.host)
    return { before: href, host: "", after: "" };
  return { before: href.slice(0, hostStart), host: url.host, after: href.slice(authorityEnd) };
}
