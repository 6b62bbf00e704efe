import type { DataCategory } from "../../authz/categories";

/** What a condition compares, and how: the column's kind decides the operators' SQL. */
export type Kind = "enum" | "date" | "string" | "code" | "id" | "decimal" | "int" | "amount" | "bool" | "text";
export interface Column {
  column: string;
  kind: Kind;
  category: DataCategory;
  /** enum: its PostgreSQL type; amount: its currency and date columns */
  pgType?: string;
  currency?: string;
  date?: string;
}

export const col = (column: string, kind: Kind, category: DataCategory, extra: Partial<Column> = {}): Column => ({ column, kind, category, ...extra });
