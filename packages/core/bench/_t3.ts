import { indexModel } from '../src/model';
import { matchIndex, parseSelector } from '../src/selectors';
const params: any[] = [];
for (let b = 0; b < 6250; b++) for (const m of ['attention.self.query','attention.self.key','attention.self.value','attention.output.dense','attention.output.LayerNorm','intermediate.dense','output.dense','output.LayerNorm']) for (const w of ['weight','bias']) params.push({name: `encoder.layer.${b}.${m}.${w}`, shape:[768], layerType:'Linear'});
const T = (label: string, f: () => unknown) => { f(); const t = performance.now(); for (let i = 0; i < 5; i++) f(); console.log(label, ((performance.now() - t) / 5).toFixed(1)); };
const re = /(^|[./])encoder[./]layer[./]17($|[./])/;
T('1 regex pass', () => { let c = 0; for (const p of params) if (re.test(p.name)) c++; return c; });
T('index', () => indexModel(params));
const ix = indexModel(params);
console.log('groups', ix.groupCount, 'segs', ix.segStrings.length);
for (const s of ['encoder.layer.17', '**.LayerNorm.*', '**.bias', 'encoder.layer.*.attention.self.query.*', 'type:Linear', 'layers:0..100'])
  T(s, () => matchIndex(ix, parseSelector(s)));
