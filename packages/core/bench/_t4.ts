import { indexModel } from '../src/model';
const params: any[] = [];
for (let b = 0; b < 6250; b++) for (const m of ['attention.self.query','attention.self.key','attention.self.value','attention.output.dense','attention.output.LayerNorm','intermediate.dense','output.dense','output.LayerNorm']) for (const w of ['weight','bias']) params.push({name: `encoder.layer.${b}.${m}.${w}`, shape:[768], layerType:'Linear'});
for (let i = 0; i < 20; i++) indexModel(params);
