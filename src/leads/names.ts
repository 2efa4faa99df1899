/** Reason and sub-status names are stored trimmed: " VIP " and "VIP" are one name. */
export function storedName(name: string): string;
export function storedName(name: string | null | undefined): string | null;
export function storedName(name: string | null | undefined): string | null {
  return name == null ? null : name.trim();
}
