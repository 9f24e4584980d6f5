/** Replaces the password of every URL in a text with '***' (URLs never leave drydock with one). */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s[\]]*):[^\s"'@]*(?:@[^\s"'@]*)*@/gi, '$1:***@')
}

/** Removes known secret values from a text (passwords given through the environment). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = redactUrls(text)
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***')
  return out
}
