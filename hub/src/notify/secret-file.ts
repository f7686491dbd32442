/**
 * A secret file notify cannot do without (SMTP password, webhook key), read at start: a missing or
 * unreadable one stops the hub with a bilingual line naming the file and the fix, like the hub's
 * other secret files (cli-files.ts), instead of failing every message later.
 */
export function secretOf(
  file: string,
  what: { vi: string; en: string },
  read: (file: string) => string,
): string {
  try {
    return read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `Không đọc được ${what.vi} ${file} (${code}): tạo tệp, chmod 600 / cannot read the ${what.en} ${file} (${code}): create it, chmod 600`,
      { cause: err },
    );
  }
}
