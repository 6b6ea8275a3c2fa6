// Re-exported from here so that Node resolves the package in this directory (src/source/clients/optional.ts).
export * from '@platformatic/kafka';
