// The CLI loads the ML packages lazily and uses them through the structural types in adapters.ts.
// These fallbacks keep `tsc` working while a sibling's dist has no declarations yet (a sibling built
// without its .d.ts); when the real declarations exist, TypeScript uses them instead.
declare module '@frostline/vision';
declare module '@frostline/nlp';
