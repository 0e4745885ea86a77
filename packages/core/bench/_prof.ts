import { planFreeze } from '/work/main/packages/core/src/index';
import { indexModel } from '/work/main/packages/core/src/model';
const params = [];
for (let b = 0; b < 6250; b++) for (const m of ['a.q','a.k','a.v','a.o','a.ln','i.d','o.d','o.ln']) for (const w of ['weight','bias']) params.push({ name: `encoder.layer.${b}.${m}.${w}`, shape: [4], layerType: 'Linear' });
let t = performance.now(); indexModel(params); console.log('index', performance.now() - t);
t = performance.now(); indexModel(params); console.log('index', performance.now() - t);
t = performance.now(); planFreeze(params, { rules: [{ freeze: 'encoder.layer.5' }] }); console.log('plan', performance.now() - t);
t = performance.now(); planFreeze(params, { rules: [{ freeze: 'encoder.layer.5' }] }); console.log('plan', performance.now() - t);
