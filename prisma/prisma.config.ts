import { defineConfig } from "prisma/config";

// Prisma 7 reads this file; kept under prisma/ so the repository's top level stays as agreed.
export default defineConfig({
  schema: "./schema.prisma",
  migrations: { path: "./migrations" },
});
