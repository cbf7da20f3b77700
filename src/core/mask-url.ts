/** Replaces the password of a URL with ***, for logs, errors and `ballast db status`. */
export function maskStoreUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
