/** Text and attribute values for HTML: every value that reaches report.html goes through here. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** `<tag attrs>content</tag>`; attribute values are escaped, content is already HTML. */
export function el(tag: string, attrs: Record<string, string | number | undefined>, content = ''): string {
  const list = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('')
  return `<${tag}${list}>${content}</${tag}>`
}
