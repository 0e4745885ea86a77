import { indexModel } from '../src/model';
import { matchIndex, parseSelector } from '../src/selectors';
import { planFreeze } from '../src/plan';
const params: any[] = [];
for (let b = 0; b < 6250; b++) for (const m of ['attention.self.query','attention.self.key','attention.self.value','attention.output.dense','attention.output.LayerNorm','intermediate.dense','output.dense','output.LayerNorm']) for (const w of ['weight','bias']) params.push({name: `encoder.layer.${b}.${m}.${w}`, shape:[768], layerType:'Linear'});
const T = (label: string, f: () => unknown) => { f(); const t = performance.now(); for (let i = 0; i < 7; i++) f(); console.log(label, ((performance.now() - t) / 7).toFixed(1)); };
const re = /(^|[./])encoder[./]layer[./]17($|[./])/;
for (let r = 0; r < 2; r++) {
T('1 regex pass', () => { let c = 0; for (const p of params) if (re.test(p.name)) c++; return c; });
T('index', () => indexModel(params));
T('plan 1 rule cold', () => planFreeze(params.slice(), { rules: [{ freeze: 'encoder.layer.17' }] }));
T('names only loop', () => { const names: string[] = []; for (const p of params) { const { name, shape, layer, layerType, kind } = p; names.push(name); } return names; });
T('map 50k prefixes', () => { const m = new Map(); for (let i = 0; i < params.length; i += 2) { const nm = params[i].name; const pre = nm.slice(0, nm.lastIndexOf('.')); if (!m.has(pre)) m.set(pre, i); } return m; });
}
import { indexModelCached } from '../src/model';
T('indexCached cold', () => indexModelCached(params.slice()));
const ix = indexModel(params);
let k = 0;
T('bn loop', () => { let c = 0; for (let l = 0; l < ix.layers.length; l++) if (/batch_?norm/i.test(ix.layerTypes[l] ?? '')) c++; return c; });
T('plan warm', () => planFreeze(params, { rules: [{ freeze: 'encoder.layer.17' }] }, { epoch: ++k }));
